import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { READ_MODEL_WRITES, REFERENCE_READS } from './policies.js';

export const readModel = proxyActivities<Pick<Activities, 'recordCaseEvent' | 'recordCaseEvents'>>(READ_MODEL_WRITES);
export const reference = proxyActivities<Pick<Activities, 'loadCalendar'>>(REFERENCE_READS);
export const membership = proxyActivities<Pick<Activities, 'recordMembership'>>(READ_MODEL_WRITES);
export const enterprise = proxyActivities<Pick<Activities, 'countEnterpriseMembers' | 'createEstablishedOrganization'>>(READ_MODEL_WRITES);

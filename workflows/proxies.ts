import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DOCUMENT_ISSUE, ESCALATION_SENDS, READ_MODEL_WRITES, REFERENCE_READS } from './policies.js';

export const readModel = proxyActivities<Pick<Activities, 'recordCaseEvent' | 'recordCaseEvents'>>(READ_MODEL_WRITES);
export const reference = proxyActivities<Pick<Activities, 'loadCalendar'>>(REFERENCE_READS);
export const membership = proxyActivities<Pick<Activities, 'recordMembership'>>(READ_MODEL_WRITES);
export const enterprise = proxyActivities<Pick<Activities, 'countEnterpriseMembers' | 'createEstablishedOrganization'>>(READ_MODEL_WRITES);
/** Local: a few milliseconds of rendering in one transaction, recorded as one marker instead of three events. */
export const documents = proxyLocalActivities<Pick<Activities, 'issueStepDocuments'>>(DOCUMENT_ISSUE);
export const escalation = proxyActivities<Pick<Activities, 'escalateStep'>>(ESCALATION_SENDS);
/** Local: one small read when a case first needs its ladders. */
export const escalationPolicy = proxyLocalActivities<Pick<Activities, 'loadEscalationPolicy'>>({ startToCloseTimeout: '30 seconds', retry: READ_MODEL_WRITES.retry });

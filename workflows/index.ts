// The one module the worker bundles: it exports every workflow type (their names are persisted: public API).
export { admissionWorkflow } from './admission.js';
export { cellEstablishmentWorkflow } from './establishment.js';
export { dailyDigestWorkflow } from './digest.js';

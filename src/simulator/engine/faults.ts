// The fault catalogue lives with the model that applies the faults (model/faults/catalogue.ts);
// re-exported here for the engine's public surface.
export { FAULT_CATALOGUE, HOSTILE_FAULT_IDS, faultById, type FaultCatalogueEntry, type FaultParamDoc } from '../model/faults/catalogue';

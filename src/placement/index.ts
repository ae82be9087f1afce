export * from './types.js';
export { place, rebalanceBudget } from './place.js';
export { formatPlacementTable } from './format-table.js';
export { divideByStaticWeight, type WeightedTarget } from './static-weight.js';
export { admissibleGroups, globalMinimum, groupCounts, groupOf, skewAdmits, skewOf } from './spread.js';
export { violations, type VerifyOptions } from './verify.js';
export { templateDemand, type TemplateDemand } from './template-demand.js';
export { DEFAULT_FILTERS, type DomainFilter, type FilterContext, type FilterVerdict } from './filters/index.js';

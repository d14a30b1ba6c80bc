export {
  DATA_SCHEMA_FILE,
  dataAccessRulesSchema,
  dataSchemaColumnSchema,
  dataSchemaIndexSchema,
  dataSchemaSchema,
  dataSchemaTableSchema,
  type DataAccessRules,
  type DataSchema,
  type DataSchemaColumn,
  type DataSchemaIndex,
  type DataSchemaTable,
} from './data-schema.js';
export { planDataMigration, describeDataMigrationStep, type DataMigrationPlan, type DataMigrationStep, type TableRowPlan } from './plan-data-migration.js';
export { convertValue, isNarrowing, type Conversion } from './column-values.js';

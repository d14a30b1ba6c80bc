export {
  BUILD_CONFIG_FILE,
  buildConfigSchema,
  buildKindSchema,
  buildPlanSchema,
  packageManagerSchema,
  type BuildConfig,
  type BuildKind,
  type BuildPlan,
  type PackageManager,
} from './build-plan.js';
export { planBuild, type PlanInputFile } from './plan-build.js';
export { planSource } from './plan-source.js';

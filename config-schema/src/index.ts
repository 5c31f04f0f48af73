// SPDX-License-Identifier: Apache-2.0
export { CORE_CONFIG_SCHEMA, DEFAULT_CONFIG_PATH, type CellaConfig } from './core-schema';
export { loadRawConfig, type RawConfig, type LoadConfigOptions, type ConfigSource } from './config-loader';
export { composeSchema, validateConfig, checkPluginSchema } from './config-validator';
export { type ConfigProblem } from './config-problems';
export { formatConfig } from './config-format';
export { configFormatOf, type ConfigFormat } from './config-file';

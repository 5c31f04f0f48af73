#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Compile cache: later starts skip V8's parse/compile of the CLI and its dependencies (Node >= 22.1; no-op before).
try { require('node:module').enableCompileCache?.(); } catch { /* older Node */ }
require('@oclif/core').execute({ dir: __dirname }).catch(require('@oclif/core/handle'));

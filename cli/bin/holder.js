#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The process that stands for a container made by `cella create` (see cli/src/holder/holder-main.ts).
'use strict';
require('./seal-fds.js');
require('../dist/holder/holder-main.js');

#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The process that stands for a pod member container made by `cella create` (see cli/src/holder/member-main.ts).
'use strict';
require('./seal-fds.js');
require('../dist/holder/member-main.js');

#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The process that stands for a detached exec (see cli/src/holder/exec-child.ts).
'use strict';
require('./seal-fds.js');
require('../dist/holder/exec-child.js');

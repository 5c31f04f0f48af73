// SPDX-License-Identifier: Apache-2.0
/** The parts of the OCI runtime-spec config.json that Cella reads (runtime-spec v1.1). Unknown fields are kept. */

export interface OciUser { uid: number; gid: number; umask?: number; additionalGids?: number[] }
export interface OciRlimit { type: string; hard: number; soft: number }

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Record<string, string[]>;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  [key: string]: unknown;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciNamespace { type: string; path?: string }

export interface OciLinux {
  namespaces?: OciNamespace[];
  cgroupsPath?: string;
  [key: string]: unknown;
}

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: OciMount[];
  annotations?: Record<string, string>;
  linux?: OciLinux;
  [key: string]: unknown;
}

// SPDX-License-Identifier: Apache-2.0
/**
 * Which runtime-spec versions a bundle may declare, and the version the guest's crun is handed
 * (docs/adr/0014-oci-versions-and-validation.md).
 */

/** Runtime-spec releases accepted: 1.0.x to 1.3.x, with a pre-release suffix too (`runc spec` writes 1.0.2-dev). */
const ACCEPTED = /^1\.([0-3])\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

/** What `cella check` and the refusal say. */
export const ACCEPTED_OCI_VERSIONS = '1.0.0 to 1.3.x';

/**
 * The newest version the guest's crun (1.8.1, Debian 12) accepts: it refuses anything but 1.0.x and 1.1.x with
 * "unknown version specified".
 */
export const GUEST_OCI_VERSION = '1.1.0';

export function isAcceptedOciVersion(v: string): boolean {
  return ACCEPTED.test(v);
}

/**
 * The version written into the spec the guest runs: a 1.2 or 1.3 spec is a 1.1 spec plus fields, so it is
 * handed over as 1.1.0; the fields the guest's crun would not honour are refused before boot (spec-validator.ts).
 */
export function guestOciVersion(v: string): string {
  const minor = ACCEPTED.exec(v)?.[1];
  return minor !== undefined && Number(minor) > 1 ? GUEST_OCI_VERSION : v;
}

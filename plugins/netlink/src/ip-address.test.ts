// SPDX-License-Identifier: Apache-2.0
import { strict as assert } from 'node:assert';
import { isCellaError } from '@cella/core/errors';
import { formatIp, formatMac, isIPv6LinkLocal, parseIp, parseMac } from './ip-address';

describe('ip-address', () => {
  it('formats IPv6 the RFC 5952 way: lower case, longest zero run as ::, single zero groups kept', () => {
    const cases: Array<[string, string]> = [
      ['fd00:0199:0000:0000:0000:0000:0000:0002', 'fd00:199::2'],
      ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
      ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
      ['fe80:0000:0000:0000:0aff:fec7:0702:0000', 'fe80::aff:fec7:702:0'],
      ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['ff02:0000:0000:0000:0000:0001:ffc7:0702', 'ff02::1:ffc7:702'],
    ];
    for (const [full, short] of cases) {
      assert.equal(formatIp(Buffer.from(full.replace(/:/g, ''), 'hex')), short);
      assert.equal(formatIp(parseIp(short).bytes), short, `round trip of ${short}`);
    }
  });

  it('parses IPv4, IPv6 with an embedded IPv4 tail, and refuses anything else', () => {
    assert.deepEqual(parseIp('10.199.7.2'), { family: 4, bytes: Buffer.from([10, 199, 7, 2]) });
    assert.equal(parseIp('::ffff:10.199.7.2').bytes.toString('hex'), '00000000000000000000ffff0ac70702');
    for (const bad of ['10.199.7', '10.199.7.256', 'fe80::1%eth0', 'fd00::1::2', '', 'eth0']) {
      assert.throws(() => parseIp(bad), (e: unknown) => isCellaError(e, 'E_NETWORK_ADDRESS') && e.details.address === bad);
    }
    assert.equal(formatIp(Buffer.alloc(5)), undefined);
  });

  it('parses and formats MAC addresses, refusing malformed ones', () => {
    assert.equal(formatMac(parseMac('02:00:0A:c7:07:02')), '02:00:0a:c7:07:02');
    assert.throws(() => parseMac('02:00:0a:c7:07'), (e: unknown) => isCellaError(e, 'E_NETWORK_ADDRESS'));
  });

  it('tells IPv6 link-local (fe80::/10) apart', () => {
    assert.equal(isIPv6LinkLocal('fe80::aff:fec7:702'), true);
    assert.equal(isIPv6LinkLocal('febf::1'), true);
    assert.equal(isIPv6LinkLocal('fec0::1'), false);
    assert.equal(isIPv6LinkLocal('fd00:199::2'), false);
    assert.equal(isIPv6LinkLocal('169.254.1.1'), false);
  });
});

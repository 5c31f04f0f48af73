// SPDX-License-Identifier: Apache-2.0
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import { E, OciErrors, StateStore } from '@cella/core';
import { TtrpcStatusError } from '@cella/core/ttrpc';
import { decodeStatsContainerResponse, type CgroupStats } from '@cella/agent';
import { BaseCommand } from '../base-command';
import { viewContainer } from '../container-view';
import { parseGoDuration } from '../go-duration';
import { callHolder } from '../holder/holder-client';
import { HolderMethod } from '../holder/holder-protocol';
import { oomEventLine, statsEventLine } from '../render/runc-events';

/** Node's timers hold at most this many milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long a failed read waits for the container to be marked stopped before the failure is reported. */
const STOP_GRACE_MS = 3000;

/**
 * `runc events`: a stats event every --interval (the first one after one interval, as runc's ticker), and an oom
 * event when the guest kernel OOM-killed a process of the container since the previous read (cgroup v2
 * memory.events oom_kill, so an OOM shows up at the next tick). Ends with status 0 when the container stops, as
 * runc on cgroup v2 does. `--stats` prints one stats event and exits. Refusals and their order are runc's.
 */
export default class Events extends BaseCommand<typeof Events> {
  static override description = 'Display container events: resource usage read in the guest, and OOM kills';
  static override args = { id: Args.string({ description: 'Container id', required: true }) };
  static override flags = {
    interval: Flags.string({ description: 'Stats collection interval (a Go duration: 500ms, 5s, 1m)', default: '5s' }),
    stats: Flags.boolean({ description: 'Display the container\'s stats, then exit' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Events);
    const id = args.id;
    const intervalMs = parseGoDuration(flags.interval);
    if (intervalMs === undefined) {
      throw E.INVALID_ARGUMENT.create(`invalid value "${flags.interval}" for flag -interval: parse error`, { details: { flag: 'interval' } });
    }
    const g = this.globals(flags);
    const store = new StateStore(await this.stateRoot(g));
    const v = await viewContainer(store, id);
    if (intervalMs <= 0) throw E.INVALID_ARGUMENT.create('duration interval must be greater than 0', { details: { interval: flags.interval } });
    if (v.status === 'stopped') throw notRunning(id);
    const first = await read(store, v.runDir, id);
    if (!first) throw notRunning(id);
    if (flags.stats) {
      process.stdout.write(statsEventLine(id, first));
      return;
    }
    const logger = this.logger(g);
    // A reader that goes away (`| head -1`) ends the stream quietly.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); });
    let oomKills = first.memoryEvents.oomKill;
    const start = Date.now();
    for (let next = start + intervalMs; ; next = start + (Math.floor((Date.now() - start) / intervalMs) + 1) * intervalMs) {
      // A fixed-rate ticker that drops the ticks a slow read missed, as Go's time.Tick.
      for (let now = Date.now(); now < next; now = Date.now()) await sleep(Math.min(next - now, MAX_TIMER_MS));
      let s: CgroupStats | undefined;
      try {
        s = await read(store, v.runDir, id);
      } catch (err) {
        logger.error('Reading the container\'s stats failed', { err });
        continue;
      }
      if (!s) return;
      // One event per kill since the last read (bounded: a storm of kills is not a reason to flood the output).
      const kills = s.memoryEvents.oomKill - oomKills;
      for (let i = 0n; i < kills && i < 100n; i++) process.stdout.write(oomEventLine(id));
      oomKills = s.memoryEvents.oomKill;
      process.stdout.write(statsEventLine(id, s));
    }
  }
}

/** runc's text for events on a stopped container (events.go). */
function notRunning(id: string): Error {
  return OciErrors.OCI_STATE.create(`container with id ${id} is not running`, { details: { id, operation: 'events' } });
}

/** The guest's counters through the container's holder; undefined once the container has stopped (or is gone). */
async function read(store: StateStore, runDir: string, id: string): Promise<CgroupStats | undefined> {
  try {
    return decodeStatsContainerResponse(await callHolder(runDir, HolderMethod.Stats));
  } catch (err) {
    // The holder closes its socket as the container ends, a moment before the state says stopped; an error the
    // holder answered about anything else is reported at once.
    const ending = !(err instanceof TtrpcStatusError) || err.remoteCode === OciErrors.OCI_STATE.code;
    for (const deadline = Date.now() + (ending ? STOP_GRACE_MS : 0); ; await sleep(100)) {
      const status = await viewContainer(store, id).then((v) => v.status, () => 'stopped' as const);
      if (status === 'stopped') return undefined;
      if (Date.now() >= deadline) throw err;
    }
  }
}

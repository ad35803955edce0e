// The zxid as the members report it: how far each has got, and the highest any serves. A zxid's
// upper 32 bits are the epoch, which every new leader raises: the rolls count their elections by it.
import { Ensemble } from './ensemble';
import { ExpandedPod } from './expand';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
export const epochOf = (zxid: bigint) => zxid >> 32n;
export const hex = (zxid: bigint) => `0x${zxid.toString(16)}`;

/** The member's last processed zxid (AdminServer `srvr`), or undefined when it does not answer. */
export async function lastZxid(ensemble: Ensemble, member: ExpandedPod): Promise<bigint | undefined> {
  const { status, body } = await ensemble.adminCommand(member, 'srvr');
  const zxid = status === 200 ? body?.server_stats?.last_processed_zxid : undefined;
  return typeof zxid === 'number' ? BigInt(zxid) : undefined;
}

/** The highest zxid any serving member has processed. */
export async function highestZxid(ensemble: Ensemble): Promise<bigint> {
  const zxids = (await Promise.all(ensemble.members.map((m) => lastZxid(ensemble, m)))).filter((z): z is bigint => z !== undefined);
  expect(zxids.length > 0, 'no member reports a zxid');
  return zxids.reduce((a, b) => (a > b ? a : b));
}

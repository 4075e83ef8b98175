// Shared setup for the execution tests: two domains, a granted page and a connected event
// channel, as a toolstack would prepare them, plus the inputs for each side's program.
import type { Hypervisor } from "../../../runtime/hypervisor/index.js";
import type { PingPongInput } from "./programs/ping-pong-program.js";

export function preparePingPong(hypervisor: Hypervisor, rounds: number): { pingId: number; pongId: number; pingInput: PingPongInput; pongInput: PingPongInput } {
  const pingId = hypervisor.createDomain({ labels: ["frontend"] }).id;
  const pongId = hypervisor.createDomain({ labels: ["backend"] }).id;
  const frame = hypervisor.allocatePages(pingId);
  if (frame === undefined) throw new Error("no page");
  const grant = hypervisor.grantAccess(pingId, pongId, frame, false);
  const unbound = hypervisor.allocateUnboundPort(pingId, pongId);
  if (!grant.ok || !unbound.ok) throw new Error("setup refused");
  const bound = hypervisor.bindInterdomain(pongId, pingId, unbound.port);
  if (!bound.ok) throw new Error(bound.reason);
  return {
    pingId,
    pongId,
    pingInput: { role: "ping", port: unbound.port, frame, rounds },
    pongInput: { role: "pong", port: bound.port, granterId: pingId, reference: grant.reference, rounds },
  };
}

// Renders one demo timeline event as text: virtual time, scenario, stage and message, and for
// a violation the spec line that states the broken clause, quoted from the source.
import type { DemoTimelineEvent } from "../../runtime/host/demo-timeline.js";

/** The text of `file:line:col` in `sources`, trimmed, or undefined when it is not there. */
function quoteSpecLine(specSpan: string, sources: ReadonlyMap<string, string>): string | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(specSpan);
  if (match === null) return undefined;
  const line = sources.get(match[1] ?? "")?.split("\n")[Number(match[2]) - 1];
  return line === undefined ? undefined : line.trim();
}

export function formatDemoEvent(event: DemoTimelineEvent, sources: ReadonlyMap<string, string>): string {
  const time = `${String(event.time).padStart(6, " ")} ms`;
  const line = `${time}  ${event.scenario.padEnd(18, " ")}  ${event.stage.padEnd(9, " ")}  ${event.message}`;
  const specSpan = event.detail["specSpan"];
  if (event.stage !== "violation" || typeof specSpan !== "string") return line;
  const quoted = quoteSpecLine(specSpan, sources);
  return quoted === undefined ? line : `${line}\n${" ".repeat(41)}${specSpan} | ${quoted}`;
}

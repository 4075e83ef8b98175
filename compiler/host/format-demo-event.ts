// Renders one demo timeline event as a line of text: virtual time, scenario, stage, message.
import type { DemoTimelineEvent } from "../../runtime/host/demo-timeline.js";

export function formatDemoEvent(event: DemoTimelineEvent): string {
  const time = `${String(event.time).padStart(6, " ")} ms`;
  return `${time}  ${event.scenario.padEnd(18, " ")}  ${event.stage.padEnd(9, " ")}  ${event.message}`;
}

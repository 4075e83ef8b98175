// The demo's host check: the bundled host offers a 'vbd' class speaking the generated blkif
// monitor's protocol; a host without it, or with another version, gets PD7003 at a real location.
import { describe, expect, it } from "vitest";
import { checkDemoResourceClass } from "../../compiler/host/check-demo-resource-class.js";
import { monitorSpecX86_64 } from "../../drivers/blk/generated/blkif.js";
import { bundledHostFiles, checkSpecFiles } from "./checked-bundled-host.js";

const requirement = { resourceClass: "vbd", protocol: monitorSpecX86_64.protocol, version: monitorSpecX86_64.version };

describe("checking the demo's resource class", () => {
  it("accepts the bundled host, whose vbd class speaks the generated monitor's protocol", () => {
    const { program, errors } = checkSpecFiles(bundledHostFiles);
    expect(errors).toEqual([]);
    if (program.model === undefined) throw new Error("the bundled host does not check");
    expect(checkDemoResourceClass(program.model, requirement)).toEqual([]);
  });

  it("reports PD7003 at the policy when no vbd class is declared", () => {
    const { program } = checkSpecFiles(["test/host/fixtures/no-blkif/policy.proto-desc"]);
    if (program.model === undefined) throw new Error("the fixture does not check");
    const [problem, ...rest] = checkDemoResourceClass(program.model, requirement);
    expect(rest).toEqual([]);
    expect(problem?.code).toBe("PD7003");
    expect(problem?.span.file).toBe("test/host/fixtures/no-blkif/policy.proto-desc");
    expect(problem?.message).toContain("the specs declare no such class");
  });

  it("reports PD7003 at the class when it speaks another version than the generated monitor", () => {
    const { program } = checkSpecFiles(bundledHostFiles);
    if (program.model === undefined) throw new Error("the bundled host does not check");
    const [problem] = checkDemoResourceClass(program.model, { ...requirement, version: requirement.version + 1 });
    expect(problem?.code).toBe("PD7003");
    expect(problem?.span.file).toBe("protocols/host-policy.proto-desc");
    expect(problem?.message).toContain(`it speaks blkif version ${requirement.version}`);
  });
});

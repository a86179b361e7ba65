"""Passes a schemathesis JUnit report whose every failure is hyper's answer to a request
past its size limits: 414 URI Too Long (a request line over 64 KiB, a constant in hyper)
or 431 Request Header Fields Too Large (a head over its read buffer). hyper answers them
with no body before any handler runs, so the document's error schema cannot hold; any
other failure, or one without a response, fails the run (.ci/schemathesis-real).

usage: python3 .ci/only_size_limits.py REPORT.xml
"""

import re
import sys
import xml.etree.ElementTree as ET

LIMITS = {"414", "431"}
# The checks a bodiless answer breaks: no Content-Type, and no JSON to read.
BODILESS = {"ST104", "ST109"}

root = ET.parse(sys.argv[1]).getroot()
cases = 0
by_status = {}
unexplained = []
for testcase in root.iter("testcase"):
    for failure in testcase.findall("failure") + testcase.findall("error"):
        text = (failure.get("message") or "") + "\n" + (failure.text or "")
        cases += len(re.findall(r"Test Case ID:", text)) or 1
        statuses = set(re.findall(r"\[(\d{3})\] ", text))
        checks = set(re.findall(r"^- (ST\d+) ", text, re.M))
        if failure.tag == "error" or not statuses or not statuses <= LIMITS or not checks <= BODILESS:
            unexplained.append(f"{testcase.get('name')}: {text.strip()[:400]}")
            continue
        for status in statuses:
            by_status[status] = by_status.get(status, 0) + 1

print(f"size limits: {cases} failing cases, by hyper's status {dict(sorted(by_status.items()))}")
if unexplained:
    print(f"size limits: {len(unexplained)} failures that are not hyper's 414 or 431:")
    for line in unexplained:
        print("  " + line)
    sys.exit(1)

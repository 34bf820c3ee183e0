"""A coder in another process, for the durability and concurrency tests.

Usage: python _coding_worker.py URL CODER N [TAG]

Codes units of the demo project one by one and prints ``ACK <unit_id> <code> <tag>``
after each ``Project.code`` call has returned (that is, after it was acknowledged).
"""

import sys

import workbench as wb


def main() -> None:
    url, coder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tag = sys.argv[4] if len(sys.argv) > 4 else coder
    project = wb.open_project(url)
    codes = ["gratitude", "defensive", "validating", "systemic-deflection"]
    units = list(project.units(codable=True)["unit_id"])
    print("READY", flush=True)
    for i in range(n):
        unit = units[i % len(units)]
        code = codes[i % len(codes)]
        project.code(unit, [code], coder=coder, memo=f"{tag}:{i}")
        print(f"ACK {unit} {code} {tag}:{i}", flush=True)
    project.close()


if __name__ == "__main__":
    main()

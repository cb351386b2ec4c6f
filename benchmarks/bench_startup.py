"""How quickly does thesis-lib start? Prints figures and PASS/MISS; asserts nothing.

Each figure is the median of ``--repeat`` fresh Python processes, measured in the same
run so the ratios hold on a busy machine:

- ``import pandas, pydantic`` (the floor any pandas library pays);
- ``import thesis_lib`` (target: within 1.15x of the floor);
- ``thesis --help`` and ``thesis --version`` (target: under 0.15 s, importing no pandas).

Run: ``python benchmarks/bench_startup.py [--repeat 15]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "import pandas, pydantic": "import pandas, pydantic",
    "import thesis_lib": "import thesis_lib",
    "import thesis_lib; load_universe()": "import thesis_lib as tl; tl.load_universe()",
    "thesis --help": "import sys; from thesis_lib.cli import main; "
                     "sys.argv = ['thesis', '--help']; main(['--help'])",
    "thesis --version": "from thesis_lib.cli import main; main(['--version'])",
}


def run(code: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    medians = {}
    for name, code in CASES.items():
        times = run(code, args.repeat)
        medians[name] = statistics.median(times)
        print(f"  {name:<40} median {medians[name] * 1000:7.1f} ms  "
              f"best {min(times) * 1000:7.1f} ms")
    floor = medians["import pandas, pydantic"]
    ratio = medians["import thesis_lib"] / floor
    print(f"import thesis_lib / import pandas, pydantic = {ratio:.2f}x (target <= 1.15x): "
          f"{'PASS' if ratio <= 1.15 else 'MISS'}")
    for name in ("thesis --help", "thesis --version"):
        t = medians[name]
        print(f"{name}: {t * 1000:.0f} ms (target < 150 ms): {'PASS' if t < 0.15 else 'MISS'}")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom thesis_lib.cli import main\n"
         "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
         "print('pandas' in sys.modules)"], capture_output=True, text=True, check=True)
    print(f"thesis --help imports pandas: {loaded.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()

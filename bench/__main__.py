"""`python -m bench [NAME ...]`: run benchmarks, print one table of ratios, exit 1 on a miss."""

import importlib
import os
import pkgutil
import sys
import traceback

import bench
from bench._harness import report


def main() -> int:
    names = sys.argv[1:] or sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")
    )
    figures, failed = [], []
    for name in names:
        print(f"== bench.{name}", flush=True)
        # Each bench in the environment it was started in: one that points the application at
        # Redis (dashboard, reminders) must not change how the next one's processes run.
        environment = dict(os.environ)
        try:
            figures += importlib.import_module(f"bench.{name}").run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        finally:
            os.environ.clear()
            os.environ.update(environment)
    return report(figures, failed)


if __name__ == "__main__":
    raise SystemExit(main())

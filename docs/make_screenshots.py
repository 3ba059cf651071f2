"""Regenerate the report screenshots in docs/ (needs /usr/bin/chromium and Playwright).

    .venv/bin/python docs/make_screenshots.py          # full demo (minutes: includes MCMC)
    .venv/bin/python docs/make_screenshots.py --quick  # smaller data, no MCMC
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = Path(__file__).resolve().parent
REGLAB = str(Path(sys.executable).with_name("reglab"))


def shoot(html: Path, png: Path, full: bool = True) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(html.as_uri())
        page.screenshot(path=str(png), full_page=full)
        browser.close()
    print(f"wrote {png}")


def fit_report(tmp: Path) -> None:
    """``reglab fit --report`` of the errors-in-variables model on the M-sigma data."""
    subprocess.run([REGLAB, "fit", "builtin:msigma", "--model", "eiv", "-q", "--report",
                    str(tmp / "fit")], check=True, stdout=subprocess.DEVNULL)
    shoot(tmp / "fit" / "index.html", DOCS / "report-fit.png")


def main() -> None:
    quick = ["--quick"] if "--quick" in sys.argv else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([REGLAB, "compare", "builtin:globular", "--x-err", "M_V_err", "-q",
                        "-o", str(tmp / "compare")], check=True)
        shoot(tmp / "compare" / "index.html", DOCS / "report-compare.png")
        fit_report(tmp)
        subprocess.run([REGLAB, "demo", "-q", *quick, "-o", str(tmp / "demo")], check=True)
        shoot(tmp / "demo" / "index.html", DOCS / "report-demo.png")
        shoot(tmp / "demo" / "index.html", DOCS / "report-demo-top.png", full=False)


if __name__ == "__main__":
    main()

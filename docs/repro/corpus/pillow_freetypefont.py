"""python-pillow/Pillow#9497 (fix: PR #9498): one FreeTypeFont used from several threads crashes.

Affected: Pillow 12.1.1 (cp313t wheel). Fixed: Pillow 12.2.0 (a per-object critical section
around every FontObject method that touches the FreeType FT_Face).

FreeType's FT_Face may be used by one thread at a time; on 3.13t Pillow called it from all of
them. Four threads released by a barrier measure and render text with the same font
(`getbbox`, `getlength`, `getmask`) at varying sizes of text: SIGSEGV, or wrong metrics.

Measured: Pillow 12.1.1 SIGSEGV or SIGABRT ("unaligned tcache chunk", after OSError "unsupported
glyph image format" in the threads) 3/3 in 0.1-0.5 s; Pillow 12.2.0 clean 3/3 (at 200 rounds, 60-69 s
each; now 40 rounds). The GIL build
(3.13.0, Pillow 12.1.1) is clean (2/2): the font methods hold the GIL.

Run: python docs/repro/corpus/pillow_freetypefont.py  (exit 0 clean; a crash kills the process)
"""
import sys
import threading

from PIL import ImageFont, __version__

ROUNDS, N = 40, 4
print("Pillow", __version__, "GIL", sys._is_gil_enabled(), flush=True)
texts = ["hello", "free-threaded", "W" * 40, "iiiii", "Ag"]
font0 = ImageFont.load_default(size=24)
expect = {t: (font0.getbbox(t), font0.getlength(t)) for t in texts}
wrong = 0
for r in range(ROUNDS):
    font = ImageFont.load_default(size=24)  # a FreeTypeFont (the embedded Aileron face)
    b = threading.Barrier(N)

    def work(k):
        global wrong
        b.wait()
        for i in range(50):
            t = texts[(i + k) % len(texts)]
            if (font.getbbox(t), font.getlength(t)) != expect[t]:
                wrong += 1
            font.getmask(t)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not wrong else 'WRONG'}: {ROUNDS} rounds, {wrong} wrong metrics")
sys.exit(1 if wrong else 0)

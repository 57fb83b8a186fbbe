"""python-pillow/Pillow#8454 (fix: commit c8e301c4, "Fix SEGFAULT from calling
FT_New_Face/FT_Done_Face in multiple threads"): creating and freeing fonts in several threads
crashes.

NOT REPRODUCED (kept as a record of the attempt; not in the corpus): clean on Pillow 11.0.0 and
11.1.0 on Linux, 3 runs each with `load_default` and 2 each with
`truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", size)`; the report was on macOS.

Affected per upstream: Pillow 11.0.0 (cp313t wheel). Fixed: Pillow 11.1.0 (a mutex around
FT_New_Face / FT_Done_Face on the module's single FT_Library).

FreeType allows face creation and destruction on one FT_Library from one thread at a time;
Pillow keeps one library for the module. No font object is shared here: four threads released
by a barrier each create fonts (`ImageFont.load_default(size=...)`, the embedded Aileron face),
measure a string and drop them. The shared state is the library's face list.

Run: python docs/repro/corpus/pillow_ft_new_face.py  (exit 0 clean; a crash kills the process)
"""
import sys
import threading

from PIL import ImageFont, __version__

ROUNDS, N = 100, 4
print("Pillow", __version__, "GIL", sys._is_gil_enabled(), flush=True)
expect = {s: ImageFont.load_default(size=s).getlength("hello") for s in (10, 20, 30)}
wrong = 0
for r in range(ROUNDS):
    b = threading.Barrier(N)

    def work(k):
        global wrong
        b.wait()
        for i in range(20):
            s = (10, 20, 30)[(i + k) % 3]
            f = ImageFont.load_default(size=s)  # FT_New_Face on the shared library
            if f.getlength("hello") != expect[s]:
                wrong += 1
            del f  # FT_Done_Face

    ts = [threading.Thread(target=work, args=(k,)) for k in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
print(f"{'clean' if not wrong else 'WRONG'}: {ROUNDS} rounds, {wrong} wrong lengths")
sys.exit(1 if wrong else 0)

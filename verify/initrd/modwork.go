package initrd

import (
	"runtime"
	"sync"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
)

// Reading the .modinfo of every module (inspect; verify reads a dozen)
// costs mostly the modules' own decompression (.ko.xz, .ko.zst), so it runs
// beside the cpio walk on up to maxModWorkers workers, each reusing one
// set of decoders (decomp.Files) and one scratch buffer. Memory is bounded
// by the worker count, not the module count: a module's bytes travel to a
// worker in one of workers+1 buffers that go round (the walk waits for a
// free one), and results are applied to Image.Modules at the end of the
// read, in the order the modules came.
const maxModWorkers = 4

// readFunc reads one module's facts, decoding into scratch with fs.
type readFunc func(p string, raw, scratch []byte, fs *decomp.Files) (modinfoResult, []byte)

type modJob struct {
	idx, seq int
	path     string
	raw      []byte
	owned    bool // raw is one of the round's buffers: give it back
}

type modResult struct {
	idx, seq int
	modinfoResult
}

// modWork is the workers of one read; the zero value runs nothing yet.
type modWork struct {
	started bool
	sync    bool          // one worker: read in the walk's goroutine
	read    readFunc      // readModule, or readModinfoOnly
	files   *decomp.Files // the sync path's decoders
	scratch []byte        // the sync path's decompressed module
	jobs    chan modJob
	free    chan []byte
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []modResult
	seq     map[int]int // module index -> the seq of its pending job
	next    int
}

// cancel forgets any pending .modinfo of module i (a later entry with the
// same path replaced it).
func (w *modWork) cancel(i int) {
	if w.seq != nil {
		delete(w.seq, i)
	}
}

// modinfo reads the .modinfo of module i at p from raw, now (one worker)
// or on a worker; raw may be r.modBuf, which then goes with the job.
func (r *reader) modinfo(i int, p string, raw []byte) {
	w := &r.mods
	if !w.started {
		w.read = readModule
		if r.opt.ModinfoOnly {
			w.read = readModinfoOnly
		}
		w.start()
	}
	if w.sync {
		res, scratch := w.read(p, raw, w.scratch, w.files)
		if cap(scratch) > cap(w.scratch) {
			w.scratch = scratch[:0]
		}
		r.applyModinfo(i, res)
		return
	}
	owned := len(raw) > 0 && cap(r.modBuf) > 0 && &raw[:1][0] == &r.modBuf[:1][0]
	if owned {
		r.modBuf = <-w.free
	}
	w.next++
	w.seq[i] = w.next
	w.jobs <- modJob{idx: i, seq: w.next, path: p, raw: raw, owned: owned}
}

func (w *modWork) start() {
	w.started = true
	n := min(runtime.GOMAXPROCS(0), maxModWorkers)
	if n < 2 {
		w.sync = true
		w.files = &decomp.Files{}
		return
	}
	w.seq = map[int]int{}
	w.jobs = make(chan modJob, n)
	w.free = make(chan []byte, n+1)
	for range n {
		w.free <- nil
	}
	for range n {
		w.wg.Add(1)
		go w.worker()
	}
}

func (w *modWork) worker() {
	defer w.wg.Done()
	files := &decomp.Files{}
	defer files.Close()
	var scratch []byte
	for j := range w.jobs {
		res, s := w.read(j.path, j.raw, scratch, files)
		if cap(s) > cap(scratch) {
			scratch = s[:0]
		}
		if j.owned {
			w.free <- j.raw[:0]
		}
		w.mu.Lock()
		w.results = append(w.results, modResult{idx: j.idx, seq: j.seq, modinfoResult: res})
		w.mu.Unlock()
	}
}

// finishModules waits for the workers and applies their results.
func (r *reader) finishModules() {
	w := &r.mods
	if !w.started {
		return
	}
	w.started = false
	if w.sync {
		w.files.Close()
		return
	}
	close(w.jobs)
	w.wg.Wait()
	for _, res := range w.results {
		if w.seq[res.idx] == res.seq {
			r.applyModinfo(res.idx, res.modinfoResult)
		}
	}
	w.results, w.seq = nil, nil
}

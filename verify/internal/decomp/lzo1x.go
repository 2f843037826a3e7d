package decomp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var le = binary.LittleEndian

// errLZORLE: the LZO-RLE bitstream (first byte 17, version 1) is what zram
// writes; lzop never does. The kernel decodes it; this package does not.
var errLZORLE = errors.New("lzo-rle bitstream (version byte after 17): not decoded by this checker")

// lzo1xDecompress decodes one LZO1X block from in into out, which must come
// out exactly full: the kernel's unlzo demands the block's stated length.
// It follows the stream format the kernel's lib/lzo/lzo1x_decompress_safe.c
// accepts (Documentation/staging/lzo.rst): every read of in and every write
// and back-reference in out is bounds-checked, and each instruction consumes
// at least one input byte, so hostile input ends in an error, never a panic
// or a loop. The end-of-stream instruction must be the last input byte and
// must come when out is full. It returns the offset in in where a problem
// was found.
//
// It is one function, longer than the usual limit, on purpose: it is a
// decoder's state machine, one loop over LZO1X instructions whose meaning
// depends on the previous one (the literal-run state carried between them),
// written to be read side by side with the kernel's decoder loop.
func lzo1xDecompress(in, out []byte) (int, error) {
	ip, op := 0, 0
	fail := func(format string, args ...any) (int, error) {
		return ip, fmt.Errorf(format, args...)
	}
	// ext reads the extension of a zero length field: 255 per zero byte,
	// then the first non-zero byte, plus base.
	ext := func(base int) (int, bool) {
		n := base
		for {
			if ip >= len(in) {
				return 0, false
			}
			b := in[ip]
			ip++
			if b != 0 {
				return n + int(b), true
			}
			n += 255
			if n > len(out) { // cannot fit anyway; stop counting
				return n, true
			}
		}
	}
	literals := func(n int) bool {
		if n > len(in)-ip || n > len(out)-op {
			return false
		}
		if n <= 8 && len(in)-ip >= 8 && len(out)-op >= 8 {
			// Short run with slack on both sides: one 8-byte move; the
			// bytes past op+n are rewritten by what follows.
			le.PutUint64(out[op:], le.Uint64(in[ip:]))
		} else {
			copy(out[op:], in[ip:ip+n])
		}
		ip += n
		op += n
		return true
	}
	match := func(dist, n int) bool {
		if dist <= 0 || dist > op || n > len(out)-op {
			return false
		}
		// An overlapping match (dist < n) repeats the dist bytes before
		// op: each copy from the fixed start doubles the run already
		// written, so copy moves whole runs where a byte loop would go
		// one at a time.
		from, end := op-dist, op+n
		if dist >= 8 && n <= 32 && len(out)-op >= n+7 {
			// Short match, source at least 8 bytes back: 8-byte moves,
			// each reading only bytes already written; the overshoot
			// past end is rewritten by what follows.
			for k := 0; k < n; k += 8 {
				le.PutUint64(out[op+k:], le.Uint64(out[from+k:]))
			}
			op = end
			return true
		}
		for op < end {
			op += copy(out[op:end], out[from:op])
		}
		return true
	}

	if len(in) == 0 {
		return fail("empty lzo block")
	}
	state := 0
	if b := in[0]; b > 17 {
		ip++
		t := int(b) - 17
		if !literals(t) {
			return fail("first literal run of %d bytes overruns the block", t)
		}
		if t < 4 {
			state = t
		} else {
			state = 4
		}
	} else if b == 17 && len(in) >= 5 && in[1] != 0 {
		// Kernel: a first byte 17 followed by a version byte.
		return fail("%w", errLZORLE)
	}

	for {
		if ip >= len(in) {
			return fail("lzo block ends without the end-of-stream instruction")
		}
		at := ip
		t := int(in[ip])
		ip++
		var dist, n, s int
		switch {
		case t < 16 && state == 0:
			n = t + 3
			if t == 0 {
				var ok bool
				if n, ok = ext(15 + 3); !ok {
					return fail("input ends inside a literal length")
				}
			}
			if !literals(n) {
				return at, fmt.Errorf("literal run of %d bytes overruns the block (input or output)", n)
			}
			state = 4
			continue
		case t < 16:
			if ip >= len(in) {
				return fail("input ends inside a short match")
			}
			h := int(in[ip])
			ip++
			if state == 4 {
				n, dist = 3, h<<2+(t>>2)&3+2049
			} else {
				n, dist = 2, h<<2+(t>>2)&3+1
			}
			s = t & 3
		case t < 32:
			n = t&7 + 2
			if t&7 == 0 {
				var ok bool
				if n, ok = ext(7 + 2); !ok {
					return fail("input ends inside a match length")
				}
			}
			if ip+2 > len(in) {
				return fail("input ends inside a match distance")
			}
			v := int(in[ip]) | int(in[ip+1])<<8
			ip += 2
			s = v & 3
			dist = 16384 + (t&8)<<11 + v>>2
			if dist == 16384 {
				// End of stream: 11 00 00, last in the block, block full.
				if n != 3 {
					return at, fmt.Errorf("end-of-stream instruction with length %d", n)
				}
				if ip != len(in) {
					return ip, fmt.Errorf("%d bytes after the end-of-stream instruction", len(in)-ip)
				}
				if op != len(out) {
					return at, fmt.Errorf("block decodes to %d bytes, header says %d", op, len(out))
				}
				return ip, nil
			}
		case t < 64:
			n = t&31 + 2
			if t&31 == 0 {
				var ok bool
				if n, ok = ext(31 + 2); !ok {
					return fail("input ends inside a match length")
				}
			}
			if ip+2 > len(in) {
				return fail("input ends inside a match distance")
			}
			v := int(in[ip]) | int(in[ip+1])<<8
			ip += 2
			s = v & 3
			dist = v>>2 + 1
		default: // 64..255
			if ip >= len(in) {
				return fail("input ends inside a match distance")
			}
			h := int(in[ip])
			ip++
			if t < 128 {
				n = 3 + (t>>5)&1
			} else {
				n = 5 + (t>>5)&3
			}
			dist = h<<3 + (t>>2)&7 + 1
			s = t & 3
		}
		if !match(dist, n) {
			return at, fmt.Errorf("match of %d bytes at distance %d, with %d bytes decoded and %d allowed", n, dist, op, len(out))
		}
		if !literals(s) {
			return ip, fmt.Errorf("%d trailing literals overrun the block", s)
		}
		state = s
	}
}

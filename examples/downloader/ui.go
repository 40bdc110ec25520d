package main

import (
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progressUI shows what the downloader child reports. All methods are
// called from the parent's message loop (one goroutine).
type progressUI interface {
	start(i int, offset int64, mirror string)
	progress(i int, n int64)
	done(i int)
	fail(i int, msg string)
	note(msg string)
	finish()
}

func newUI(opts Options, out io.Writer, files []FileSpec, resumed map[int]int64) progressUI {
	switch {
	case opts.Quiet:
		return quietUI{}
	case opts.Bars:
		return newBarsUI(out, files)
	default:
		return &plainUI{out: out, files: files, resumed: resumed, started: map[int]bool{}}
	}
}

type quietUI struct{}

func (quietUI) start(int, int64, string) {}
func (quietUI) progress(int, int64)      {}
func (quietUI) done(int)                 {}
func (quietUI) fail(int, string)         {}
func (quietUI) note(string)              {}
func (quietUI) finish()                  {}

// plainUI prints one line per event: for logs and pipes.
type plainUI struct {
	out     io.Writer
	files   []FileSpec
	resumed map[int]int64
	started map[int]bool
}

func (u *plainUI) start(i int, offset int64, mirror string) {
	f := u.files[i]
	if offset > 0 {
		fmt.Fprintf(u.out, "%s: resuming at %s of %s from %s\n", f.Name, size(offset), size(f.Size), mirror)
	} else {
		fmt.Fprintf(u.out, "%s: downloading %s from %s\n", f.Name, size(f.Size), mirror)
	}
	u.started[i] = true
}
func (u *plainUI) progress(int, int64) {}
func (u *plainUI) done(i int)          { fmt.Fprintf(u.out, "%s: downloaded\n", u.files[i].Name) }
func (u *plainUI) fail(i int, msg string) {
	fmt.Fprintf(u.out, "%s: failed: %s\n", u.files[i].Name, msg)
}
func (u *plainUI) note(msg string) { fmt.Fprintln(u.out, msg) }
func (u *plainUI) finish()         {}

const maxBarName = 40

// barsUI draws a bar per file and a total, like pacman -Syu.
type barsUI struct {
	p     *mpb.Progress
	files []FileSpec
	bars  map[int]*mpb.Bar
	pos   map[int]int64
	total *mpb.Bar
	sum   int64
	width int
}

func newBarsUI(out io.Writer, files []FileSpec) *barsUI {
	u := &barsUI{files: files, bars: map[int]*mpb.Bar{}, pos: map[int]int64{}}
	u.p = mpb.New(mpb.WithOutput(out), mpb.WithWidth(30), mpb.WithRefreshRate(120*time.Millisecond), mpb.ForceTTY())
	var all int64
	for _, f := range files {
		all += f.Size
		u.width = max(u.width, min(len(f.Name), maxBarName))
	}
	u.total = u.p.AddBar(max(all, 1),
		mpb.BarPriority(1<<30),
		mpb.PrependDecorators(decor.Name(fmt.Sprintf("Total (%d files)", len(files)), decor.WC{W: u.width + 2, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f", decor.WC{W: 22}), decor.Percentage(decor.WC{W: 6})))
	return u
}

func (u *barsUI) start(i int, offset int64, _ string) {
	b, ok := u.bars[i]
	if !ok {
		f := u.files[i]
		name := f.Name
		if len(name) > maxBarName {
			name = name[:maxBarName-1] + "…"
		}
		b = u.p.AddBar(max(f.Size, 1),
			mpb.BarPriority(i),
			mpb.BarFillerOnAbort("failed"),
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: u.width + 2, C: decor.DindentRight})),
			mpb.AppendDecorators(
				decor.CountersKibiByte("% .1f / % .1f", decor.WC{W: 22}),
				decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WC{W: 12}), "done"),
			))
		u.bars[i] = b
	}
	u.set(i, b, offset)
}

func (u *barsUI) set(i int, b *mpb.Bar, n int64) {
	u.sum += n - u.pos[i]
	u.pos[i] = n
	b.SetCurrent(n)
	u.total.SetCurrent(u.sum)
}

func (u *barsUI) progress(i int, n int64) {
	if b, ok := u.bars[i]; ok {
		u.set(i, b, n)
	}
}

func (u *barsUI) done(i int) {
	if b, ok := u.bars[i]; ok {
		u.set(i, b, u.files[i].Size)
		b.SetTotal(-1, true)
	}
}

func (u *barsUI) fail(i int, msg string) {
	if b, ok := u.bars[i]; ok {
		b.Abort(false)
	}
	u.note("error: " + msg)
}

func (u *barsUI) note(msg string) {
	_, _ = u.p.Write([]byte(msg + "\n"))
}

func (u *barsUI) finish() {
	for _, b := range u.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	u.total.SetTotal(-1, true)
	u.p.Wait()
}

// size formats a byte count like pacman (KiB, MiB, …).
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

package workflow

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/6tail/lunar-go/HolidayUtil"

	"weiquan"
)

// Calendar is the working-day calendar of Asia/Shanghai that Order 20's time
// limits are counted in: Saturdays and Sundays are off, statutory holidays are
// off, and the make-up weekend days of the State Council's yearly schedule
// (调休) are working days.
//
// The built-in data is lunar-go's HolidayUtil table, which runs up to the last
// year whose schedule had been published when that module version was cut.
// The State Council publishes each schedule late in the year before, so a
// running service will meet a year the module lacks; an administrator then
// supplies it in a holiday file (format below) without a code change.
//
// For a year with no data at all the calendar falls back to weekends only and
// logs a warning the first time a computation reaches that year, because a
// deadline that silently ignores the Spring Festival would be wrong by a week.
// Callers should check Covers at start-up for the current and the next year.
//
// A Calendar is immutable once built and safe for concurrent use.
//
// # Holiday file format
//
// A UTF-8 text file, one directive per line; blank lines are ignored and '#'
// starts a comment that runs to the end of the line. The directives:
//
//   - "year YYYY" makes the file authoritative for that year: every date of
//     that year from lunar-go is dropped and only the file's dates (plus
//     ordinary weekends) count. A year may be declared once across all files,
//     and a declared year needs at least one "off" line.
//   - "off DATE[..DATE] [name]" marks statutory holidays, the range inclusive
//     and at most 31 days long. Weekend days inside a holiday are fine.
//   - "work DATE[..DATE] [name]" marks make-up working days; each must be a
//     Saturday or a Sunday, since any other day is a working day already.
//   - DATE is YYYY-MM-DD. It must lie in a year declared on an earlier line of
//     the same file, or in the December before one (New Year swaps reach back
//     into December); such a December date is laid over that year's data.
//   - A date may appear once across all files.
//
// For example:
//
//	# 2028 年节假日安排（国务院办公厅通知）
//	year 2028
//	off  2028-01-01                元旦
//	off  2028-01-25..2028-01-31    春节
//	work 2028-01-23                春节调休
//	work 2028-02-12                春节调休
//
// Errors name the file (its Name() when the reader has one, else "holiday
// file N"), the line and the column.
type Calendar struct {
	special map[day]specialDay
	covered map[int]string // year → where its data came from
	logger  atomic.Pointer[slog.Logger]
	warned  sync.Map // year → struct{}: the weekends-only warning is logged once per year
}

type specialDay struct {
	work bool
	name string
}

// lunarSource names lunar-go as the origin of a covered year.
const lunarSource = "lunar-go"

// maxRangeDays bounds one "off"/"work" range: the longest statutory break is
// nine days, so anything longer is a typo such as a wrong month.
const maxRangeDays = 31

// NewCalendar builds the calendar from lunar-go's holiday data, then applies
// the holiday files in order. A malformed file is reported as a
// *weiquan.Error (EValidation) whose message gives file, line and column, and
// which wraps a *LineError for programs.
func NewCalendar(overrides ...io.Reader) (*Calendar, error) {
	c := &Calendar{special: make(map[day]specialDay), covered: make(map[int]string)}
	base := lunarData()
	for d, s := range base.days {
		c.special[d] = s
	}
	for y := range base.years {
		c.covered[y] = lunarSource
	}

	var files []*holidayFile
	declared := make(map[int]string) // year → position of its "year" line
	for i, r := range overrides {
		f, err := parseHolidayFile(sourceName(r, i), r)
		if err != nil {
			return nil, err
		}
		for _, yl := range f.years {
			if prev, ok := declared[yl.year]; ok {
				return nil, f.errorf(yl.line, yl.col,
					fmt.Sprintf("year %d is already declared at %s", yl.year, prev),
					fmt.Sprintf("%d 年已在 %s 声明过", yl.year, prev))
			}
			declared[yl.year] = fmt.Sprintf("%s:%d", f.source, yl.line)
		}
		files = append(files, f)
	}

	// Drop lunar-go's dates of every declared year first, so that a file's
	// December overlay onto an earlier declared year is not wiped out by the
	// order in which files come.
	for d := range c.special {
		if _, ok := declared[d.year()]; ok {
			delete(c.special, d)
		}
	}
	seen := make(map[day]string)
	for _, f := range files {
		for _, yl := range f.years {
			c.covered[yl.year] = f.source
		}
		for _, e := range f.entries {
			if prev, ok := seen[e.day]; ok {
				return nil, f.errorf(e.line, e.col,
					fmt.Sprintf("%s is already listed at %s", e.day, prev),
					fmt.Sprintf("日期 %s 已在 %s 列出", e.day, prev))
			}
			seen[e.day] = fmt.Sprintf("%s:%d", f.source, e.line)
			c.special[e.day] = specialDay{work: e.work, name: e.name}
		}
	}
	return c, nil
}

// SetLogger sets where the weekends-only warning goes; slog.Default() when
// never set.
func (c *Calendar) SetLogger(l *slog.Logger) { c.logger.Store(l) }

// Covers reports whether the calendar has statutory holiday data for year.
func (c *Calendar) Covers(year int) bool {
	_, ok := c.covered[year]
	return ok
}

// Years lists the covered years in order, for the start-up log.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.covered))
	for y := range c.covered {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// IsWorkingDay reports whether the Shanghai calendar day that t falls on is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool { return c.isWorking(dayOf(t)) }

// HolidayName returns the name of the holiday or make-up day t falls on (e.g.
// "春节", or "春节调休" style names from a holiday file), "" on ordinary days.
func (c *Calendar) HolidayName(t time.Time) string { return c.special[dayOf(t)].name }

// AddWorkingDays returns the end (23:59:59 Shanghai) of the n-th working day
// after the day from falls on. The day of from itself never counts, whether or
// not it is a working day: Order 20 counts a time limit from the day after the
// case is received. For n <= 0 it returns the end of from's own day.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := dayOf(from)
	for n > 0 {
		d++
		if c.isWorking(d) {
			n--
		}
	}
	return d.end()
}

// WorkingDaysBetween counts the working days after a's day up to and including
// b's day, so that WorkingDaysBetween(a, AddWorkingDays(a, n)) == n. It is
// negative when b's day is before a's, and 0 on the same day. Use it for the
// working days a paused mediation must give back (Art. 20).
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	da, db := dayOf(a), dayOf(b)
	sign := 1
	if db < da {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da + 1; d <= db; d++ {
		if c.isWorking(d) {
			n++
		}
	}
	return sign * n
}

func (c *Calendar) isWorking(d day) bool {
	if s, ok := c.special[d]; ok {
		return s.work
	}
	if y := d.year(); !c.Covers(y) {
		c.warnUncovered(y)
	}
	wd := d.weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (c *Calendar) warnUncovered(year int) {
	if _, loaded := c.warned.LoadOrStore(year, struct{}{}); loaded {
		return
	}
	l := c.logger.Load()
	if l == nil {
		l = slog.Default()
	}
	l.Warn("no statutory holiday data for this year: counting weekends only, deadlines may fall on holidays; load a holiday file with a `year` line for it",
		"year", year)
}

// day is a Shanghai calendar day, counted in days since 1970-01-01. Counting
// in whole days sidesteps time-of-day and zone arithmetic in the loops.
type day int

func civil(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dayOf(t time.Time) day {
	y, m, d := t.In(weiquan.Shanghai).Date()
	return civil(y, m, d)
}

func (d day) date() (int, time.Month, int) { return time.Unix(int64(d)*86400, 0).UTC().Date() }

func (d day) year() int {
	y, _, _ := d.date()
	return y
}

// weekday: 1970-01-01 was a Thursday.
func (d day) weekday() time.Weekday { return time.Weekday(((int(d)+4)%7 + 7) % 7) }

func (d day) end() time.Time {
	y, m, dd := d.date()
	return time.Date(y, m, dd, 23, 59, 59, 0, weiquan.Shanghai)
}

func (d day) String() string {
	y, m, dd := d.date()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

// lunarBase is lunar-go's table, read once: the table is a package-level
// string in lunar-go and never changes unless someone calls HolidayUtil.Fix,
// which this project does not.
type lunarBase struct {
	days  map[day]specialDay
	years map[int]bool
}

var lunarData = sync.OnceValue(func() lunarBase {
	b := lunarBase{days: make(map[day]specialDay), years: make(map[int]bool)}
	// lunar-go's data starts with the 2002 New Year swap on 2001-12-29; the
	// upper bound only has to be past whatever a future module version holds.
	for y := 2001; y <= 2200; y++ {
		for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			t, err := time.Parse(time.DateOnly, h.GetDay())
			if err != nil {
				continue
			}
			d := civil(t.Date())
			name := h.GetName()
			if h.IsWork() {
				name += "调休"
			} else {
				// A year counts as covered only when lunar-go has its holidays,
				// not merely a December make-up day for the next New Year.
				b.years[y] = true
			}
			b.days[d] = specialDay{work: h.IsWork(), name: name}
		}
	}
	return b
})

// LineError locates a problem in a holiday file. It is wrapped by the
// *weiquan.Error that NewCalendar returns.
type LineError struct {
	Source string
	Line   int
	Column int
	Msg    string
	// Chinese says the same for the person fixing the file (the admin
	// page); empty where only Msg was written.
	Chinese string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Source, e.Line, e.Column, e.Msg)
}

type holidayFile struct {
	source  string
	years   []yearLine
	entries []holidayEntry
	lineOf  map[day]int
}

type yearLine struct {
	year, line, col int
	hasOff          bool
}

type holidayEntry struct {
	day       day
	work      bool
	name      string
	line, col int
}

func (f *holidayFile) errorf(line, col int, en, zh string) error {
	return &weiquan.Error{
		Code:    weiquan.EValidation,
		Message: fmt.Sprintf("节假日文件 %s 第 %d 行第 %d 列：%s", f.source, line, col, zh),
		Err:     &LineError{Source: f.source, Line: line, Column: col, Msg: en},
	}
}

func sourceName(r io.Reader, i int) string {
	if n, ok := r.(interface{ Name() string }); ok && n.Name() != "" {
		return n.Name()
	}
	return fmt.Sprintf("holiday file %d", i+1)
}

// field is one whitespace-separated word of a line and its 1-based column in
// characters, so that a column is right even after Chinese text.
type field struct {
	text string
	col  int
}

func splitFields(line string) []field {
	var fs []field
	start, col := -1, 0
	startCol := 0
	for i, r := range line {
		col++
		if unicode.IsSpace(r) {
			if start >= 0 {
				fs = append(fs, field{text: line[start:i], col: startCol})
				start = -1
			}
			continue
		}
		if start < 0 {
			start, startCol = i, col
		}
	}
	if start >= 0 {
		fs = append(fs, field{text: line[start:], col: startCol})
	}
	return fs
}

func parseHolidayFile(source string, r io.Reader) (*holidayFile, error) {
	f := &holidayFile{source: source, lineOf: make(map[day]int)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	declared := make(map[int]int) // year → index into f.years
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // Windows editors save a BOM
		}
		if !utf8.ValidString(line) {
			return nil, f.errorf(n, 1, "line is not valid UTF-8", "该行不是有效的 UTF-8 文本")
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fs := splitFields(line)
		if len(fs) == 0 {
			continue
		}
		switch fs[0].text {
		case "year":
			if len(fs) != 2 {
				col := fs[0].col
				if len(fs) > 2 {
					col = fs[2].col
				}
				return nil, f.errorf(n, col, "want `year YYYY`", "应为 “year 年份”，例如 year 2028")
			}
			y, err := strconv.Atoi(fs[1].text)
			if err != nil || len(fs[1].text) != 4 || y < 2000 {
				return nil, f.errorf(n, fs[1].col, fmt.Sprintf("bad year %q: want four digits, 2000 or later", fs[1].text),
					fmt.Sprintf("年份 “%s” 无效，应为 2000 年及以后的四位数字", fs[1].text))
			}
			if at, ok := declared[y]; ok {
				return nil, f.errorf(n, fs[1].col, fmt.Sprintf("year %d is already declared on line %d", y, f.years[at].line),
					fmt.Sprintf("%d 年已在第 %d 行声明过", y, f.years[at].line))
			}
			declared[y] = len(f.years)
			f.years = append(f.years, yearLine{year: y, line: n, col: fs[1].col})
		case "off", "work":
			if err := f.parseEntry(n, fs, declared); err != nil {
				return nil, err
			}
		default:
			return nil, f.errorf(n, fs[0].col, fmt.Sprintf("unknown directive %q: want year, off or work", fs[0].text),
				fmt.Sprintf("无法识别的指令 “%s”，应为 year、off 或 work", fs[0].text))
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, f.errorf(n+1, 1, "line longer than 64 KiB", "该行超过 64 KiB")
		}
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	for _, yl := range f.years {
		if !yl.hasOff {
			return nil, f.errorf(yl.line, yl.col, fmt.Sprintf("year %d has no `off` line", yl.year),
				fmt.Sprintf("%d 年没有任何 off（放假）日期", yl.year))
		}
	}
	return f, nil
}

func (f *holidayFile) parseEntry(n int, fs []field, declared map[int]int) error {
	work := fs[0].text == "work"
	if len(fs) < 2 {
		return f.errorf(n, fs[0].col+len(fs[0].text), "missing date", "缺少日期")
	}
	df := fs[1]
	first, last := df.text, df.text
	lastCol := df.col
	if i := strings.Index(df.text, ".."); i >= 0 {
		first, last = df.text[:i], df.text[i+2:]
		lastCol = df.col + utf8.RuneCountInString(df.text[:i+2])
	}
	from, err := parseDate(first)
	if err != nil {
		return f.errorf(n, df.col, fmt.Sprintf("bad date %q: want YYYY-MM-DD", first),
			fmt.Sprintf("日期 “%s” 无效，应为 YYYY-MM-DD 格式的真实日期", first))
	}
	to, err := parseDate(last)
	if err != nil {
		return f.errorf(n, lastCol, fmt.Sprintf("bad date %q: want YYYY-MM-DD", last),
			fmt.Sprintf("日期 “%s” 无效，应为 YYYY-MM-DD 格式的真实日期", last))
	}
	if to < from {
		return f.errorf(n, lastCol, fmt.Sprintf("range ends %s, before it starts", to),
			fmt.Sprintf("日期范围的结束日 %s 早于开始日", to))
	}
	if int(to-from) >= maxRangeDays {
		return f.errorf(n, lastCol, fmt.Sprintf("range longer than %d days", maxRangeDays),
			fmt.Sprintf("日期范围超过 %d 天", maxRangeDays))
	}
	var name string
	if len(fs) > 2 {
		parts := make([]string, 0, len(fs)-2)
		for _, x := range fs[2:] {
			parts = append(parts, x.text)
		}
		name = strings.Join(parts, " ")
	}
	for d := from; d <= to; d++ {
		col := df.col
		if d == to && to != from {
			col = lastCol
		}
		y, m, _ := d.date()
		_, ok := declared[y]
		if !ok && m == time.December {
			_, ok = declared[y+1]
		}
		if !ok {
			return f.errorf(n, col, fmt.Sprintf("%s is outside the declared years: add a `year %d` line before it", d, y),
				fmt.Sprintf("日期 %s 不在已声明的年份内，请先写 “year %d”", d, y))
		}
		if work {
			if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
				return f.errorf(n, col, fmt.Sprintf("%s is a %s, a working day already: `work` is for make-up weekend days", d, wd),
					fmt.Sprintf("%s 是%s，本来就是工作日；work 只用于调休上班的周末", d, weekdayZH[wd]))
			}
		} else if i, in := declared[y]; in {
			f.years[i].hasOff = true
		}
		if prev, dup := f.lineOf[d]; dup {
			return f.errorf(n, col, fmt.Sprintf("%s is already listed on line %d", d, prev),
				fmt.Sprintf("日期 %s 已在第 %d 行列出", d, prev))
		}
		f.lineOf[d] = n
		f.entries = append(f.entries, holidayEntry{day: d, work: work, name: name, line: n, col: col})
	}
	return nil
}

var weekdayZH = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

func parseDate(s string) (day, error) {
	if len(s) != len(time.DateOnly) {
		return 0, errors.New("bad length")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return civil(t.Date()), nil
}

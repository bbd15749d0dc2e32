package workflow

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
)

// sh is a Shanghai wall-clock time for test tables.
func sh(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, weiquan.Shanghai)
	if err != nil {
		t, err = time.ParseInLocation(time.DateOnly, s, weiquan.Shanghai)
	}
	if err != nil {
		panic(err)
	}
	return t
}

// endOf is 23:59:59 Shanghai of a date, the form every deadline takes.
func endOf(date string) time.Time { return sh(date).Add(24*time.Hour - time.Second) }

// quietCalendar builds a calendar whose weekends-only warnings go nowhere, so
// test output stays readable; tests about the warning set their own logger.
func quietCalendar(t *testing.T, overrides ...io.Reader) *Calendar {
	t.Helper()
	c, err := NewCalendar(overrides...)
	if err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	c.SetLogger(slog.New(slog.DiscardHandler))
	return c
}

func TestCalendarIsWorkingDay(t *testing.T) {
	cal := quietCalendar(t)
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"ordinary Thursday", sh("2026-11-26 10:00"), true},
		{"ordinary Saturday", sh("2026-11-28"), false},
		{"ordinary Sunday", sh("2026-11-29"), false},

		{"2026 New Year's Day", sh("2026-01-01"), false},
		{"2026 New Year Friday off", sh("2026-01-02"), false},
		{"2026 New Year make-up Sunday", sh("2026-01-04"), true},

		{"2026 Spring Festival make-up Saturday before", sh("2026-02-14"), true},
		{"2026 Spring Festival first day off (Sunday)", sh("2026-02-15"), false},
		{"2026 Spring Festival Monday off", sh("2026-02-16"), false},
		{"2026 Spring Festival eve-day Tuesday", sh("2026-02-17"), false},
		{"2026 Spring Festival Saturday inside", sh("2026-02-21"), false},
		{"2026 Spring Festival last day off (Monday)", sh("2026-02-23"), false},
		{"2026 back to work Tuesday", sh("2026-02-24"), true},
		{"2026 Spring Festival make-up Saturday after", sh("2026-02-28"), true},

		{"2025 Spring Festival make-up Sunday", sh("2025-01-26"), true},
		{"2025 Spring Festival off", sh("2025-01-28"), false},
		{"2025 Spring Festival last day off", sh("2025-02-04"), false},
		{"2025 back to work Wednesday", sh("2025-02-05"), true},
		{"2025 Spring Festival make-up Saturday", sh("2025-02-08"), true},

		{"2025 National Day and Mid-Autumn make-up Sunday", sh("2025-09-28"), true},
		{"2025 National Day", sh("2025-10-01"), false},
		{"2025 National Day and Mid-Autumn Wednesday off", sh("2025-10-08"), false},
		{"2025 back to work Thursday", sh("2025-10-09"), true},
		{"2025 National Day make-up Saturday", sh("2025-10-11"), true},
		{"2025 Sunday after the make-up Saturday", sh("2025-10-12"), false},

		{"2026 National Day make-up Sunday", sh("2026-09-20"), true},
		{"2026 Mid-Autumn Friday", sh("2026-09-25"), false},
		{"2026 National Day Wednesday", sh("2026-10-07"), false},
		{"2026 National Day make-up Saturday", sh("2026-10-10"), true},

		// The Shanghai day decides, not the UTC day: 16:30Z on Saturday 14
		// February (a make-up working day) is already Sunday 15th in Shanghai.
		{"UTC Saturday that is Shanghai Sunday", time.Date(2026, 2, 14, 16, 30, 0, 0, time.UTC), false},
		{"UTC Friday evening that is Shanghai make-up Saturday", time.Date(2026, 2, 13, 17, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.IsWorkingDay(tt.at); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.at.Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

func TestCalendarAddWorkingDays(t *testing.T) {
	cal := quietCalendar(t)
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"7 days from a Thursday (DESIGN example)", sh("2026-11-26 10:00"), 7, endOf("2026-12-07")},
		{"receipt late at night does not count as a day", sh("2026-11-26 23:59"), 7, endOf("2026-12-07")},
		{"receipt on a Saturday counts from Monday", sh("2026-11-28 09:00"), 1, endOf("2026-11-30")},
		{"spans the 2026 Spring Festival and its make-up Saturday", sh("2026-02-10"), 7, endOf("2026-02-26")},
		{"make-up Sunday is the next working day", sh("2025-09-26"), 1, endOf("2025-09-28")},
		{"2025 National Day holiday skipped", sh("2025-09-30"), 1, endOf("2025-10-09")},
		{"make-up Saturday after National Day counted", sh("2025-09-30"), 3, endOf("2025-10-11")},
		{"across the year boundary and New Year's Day", sh("2026-12-28"), 7, endOf("2027-01-07")},
		{"45-day mediation across New Year and the 2027 Spring Festival swaps", sh("2026-12-07"), 45, endOf("2027-02-15")},
		{"zero days is the end of the same day", sh("2026-11-26 10:00"), 0, endOf("2026-11-26")},
		{"from a UTC time still counts in Shanghai days", time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC), 7, endOf("2026-12-07")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddWorkingDays(tt.from, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from.Format(time.RFC3339), tt.n,
					got.Format(time.RFC3339), tt.want.Format(time.RFC3339))
			}
			if got.Location() != weiquan.Shanghai {
				t.Errorf("AddWorkingDays location = %v, want Asia/Shanghai", got.Location())
			}
		})
	}
	t.Run("formats as the API shows it", func(t *testing.T) {
		got := cal.AddWorkingDays(sh("2026-11-26 10:00"), 7).Format(time.RFC3339)
		if want := "2026-12-07T23:59:59+08:00"; got != want {
			t.Errorf("deadline = %s, want %s", got, want)
		}
	})
}

func TestCalendarWorkingDaysBetween(t *testing.T) {
	cal := quietCalendar(t)
	tests := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"DESIGN example", sh("2026-11-26 10:00"), sh("2026-12-07 23:59"), 7},
		{"reversed is negative", sh("2026-12-07"), sh("2026-11-26"), -7},
		{"same day", sh("2026-11-26 08:00"), sh("2026-11-26 18:00"), 0},
		{"Spring Festival week holds only its make-up Saturday", sh("2026-02-13"), sh("2026-02-23"), 1},
		{"paused over National Day 2025", sh("2025-09-29"), sh("2025-10-12"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingDaysBetween(tt.a, tt.b); got != tt.want {
				t.Errorf("WorkingDaysBetween = %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("inverse of AddWorkingDays", func(t *testing.T) {
		for from := sh("2025-01-01 09:30"); from.Before(sh("2028-01-01")); from = from.AddDate(0, 0, 3) {
			for _, n := range []int{1, 5, 7, 15, 45} {
				end := cal.AddWorkingDays(from, n)
				if got := cal.WorkingDaysBetween(from, end); got != n {
					t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(…, %d)) = %d", from.Format(time.DateOnly), n, got)
				}
				if !cal.IsWorkingDay(end) {
					t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", from.Format(time.DateOnly), n, end.Format(time.DateOnly))
				}
			}
		}
	})
}

func TestCalendarCovers(t *testing.T) {
	cal := quietCalendar(t)
	tests := []struct {
		year int
		want bool
	}{
		{2001, false}, // only a December make-up day for 2002's New Year
		{2002, true},
		{2025, true},
		{2026, true},
		{2027, true},
		{2028, false},
	}
	for _, tt := range tests {
		t.Run(time.Date(tt.year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
			if got := cal.Covers(tt.year); got != tt.want {
				t.Errorf("Covers(%d) = %v, want %v", tt.year, got, tt.want)
			}
		})
	}
	if got := cal.Years(); got[0] != 2002 || got[len(got)-1] != 2027 {
		t.Errorf("Years() runs %d…%d, want 2002…2027", got[0], got[len(got)-1])
	}
}

// holidays2028 is a made-up schedule for a year lunar-go v1.4.7 lacks; its
// dates exist only to test the format.
const holidays2028 = `# 2028 年节假日（测试用，非真实安排）
year 2028
off  2028-01-01..2028-01-03   元旦
off  2028-01-25..2028-01-31   春节
work 2028-01-23               春节调休
work 2028-02-12               春节调休
`

func TestCalendarOverride(t *testing.T) {
	t.Run("supplies a year lunar-go lacks", func(t *testing.T) {
		cal := quietCalendar(t, strings.NewReader(holidays2028))
		if !cal.Covers(2028) {
			t.Fatal("Covers(2028) = false after loading a 2028 file")
		}
		tests := []struct {
			name string
			at   time.Time
			want bool
		}{
			{"Monday in the New Year holiday", sh("2028-01-03"), false},
			{"make-up Sunday", sh("2028-01-23"), true},
			{"Spring Festival Tuesday", sh("2028-01-25"), false},
			{"Spring Festival Monday", sh("2028-01-31"), false},
			{"back to work", sh("2028-02-01"), true},
			{"make-up Saturday", sh("2028-02-12"), true},
			{"ordinary Saturday", sh("2028-02-19"), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := cal.IsWorkingDay(tt.at); got != tt.want {
					t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.at.Format(time.DateOnly), got, tt.want)
				}
			})
		}
		if got, want := cal.AddWorkingDays(sh("2028-01-21"), 3), endOf("2028-02-01"); !got.Equal(want) {
			t.Errorf("AddWorkingDays(2028-01-21, 3) = %s, want %s", got, want)
		}
		if got, want := cal.HolidayName(sh("2028-01-23")), "春节调休"; got != want {
			t.Errorf("HolidayName(2028-01-23) = %q, want %q", got, want)
		}
		// lunar-go's years are untouched by a file about another year.
		if cal.IsWorkingDay(sh("2026-02-16")) {
			t.Error("2026-02-16 is a working day after loading a 2028 file; lunar-go's 2026 was lost")
		}
	})

	t.Run("replaces lunar-go's data for a year it declares", func(t *testing.T) {
		cal := quietCalendar(t, strings.NewReader("year 2026\noff 2026-10-01..2026-10-07 国庆节\n"))
		tests := []struct {
			name string
			at   time.Time
			want bool
		}{
			{"lunar-go's Spring Festival Monday no longer off", sh("2026-02-16"), true},
			{"lunar-go's make-up Saturday no longer on", sh("2026-02-14"), false},
			{"lunar-go's make-up Sunday no longer on", sh("2026-01-04"), false},
			{"the file's holiday", sh("2026-10-05"), false},
			{"2025 still from lunar-go", sh("2025-01-28"), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := cal.IsWorkingDay(tt.at); got != tt.want {
					t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.at.Format(time.DateOnly), got, tt.want)
				}
			})
		}
	})

	t.Run("December make-up day for next year's New Year", func(t *testing.T) {
		// The 2029 file comes first and reaches back into 2028, which a later
		// file declares: the overlay must survive that declaration.
		y2029 := "year 2029\noff 2029-01-01 元旦\nwork 2028-12-30 元旦调休\n"
		cal := quietCalendar(t, strings.NewReader(y2029), strings.NewReader(holidays2028))
		if !cal.IsWorkingDay(sh("2028-12-30")) {
			t.Error("2028-12-30 (make-up Saturday from the 2029 file) is not a working day")
		}
		if cal.IsWorkingDay(sh("2029-01-01")) {
			t.Error("2029-01-01 is a working day")
		}
	})

	t.Run("year without data warns once and counts weekends only", func(t *testing.T) {
		cal, err := NewCalendar()
		if err != nil {
			t.Fatal(err)
		}
		var buf syncBuffer
		cal.SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				// 2030-01-05 is a Saturday; with no data, Monday 7th is day 1.
				if got, want := cal.AddWorkingDays(sh("2030-01-04"), 1), endOf("2030-01-07"); !got.Equal(want) {
					t.Errorf("AddWorkingDays(2030-01-04, 1) = %s, want %s", got, want)
				}
			})
		}
		wg.Wait()
		out := buf.String()
		if got := strings.Count(out, "no statutory holiday data"); got != 1 {
			t.Errorf("warning logged %d times, want once:\n%s", got, out)
		}
		if !strings.Contains(out, "year=2030") {
			t.Errorf("warning does not name the year:\n%s", out)
		}
	})

	t.Run("no warning for a covered year", func(t *testing.T) {
		cal, err := NewCalendar()
		if err != nil {
			t.Fatal(err)
		}
		var buf syncBuffer
		cal.SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
		cal.AddWorkingDays(sh("2026-11-26"), 45)
		if buf.String() != "" {
			t.Errorf("unexpected log output:\n%s", buf.String())
		}
	})

	t.Run("file name in errors", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "holidays-2028.txt")
		if err := os.WriteFile(path, []byte("year 2028\nof 2028-01-01\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, err = NewCalendar(f)
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("NewCalendar error = %v, want a *LineError", err)
		}
		if le.Source != path || le.Line != 2 || le.Column != 1 {
			t.Errorf("error at %s:%d:%d, want %s:2:1", le.Source, le.Line, le.Column, path)
		}
	})
}

func TestCalendarOverrideErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    []string
		wantSrc  string
		wantLine int
		wantCol  int
		wantMsg  string // in the Chinese message a person sees
	}{
		{"unknown directive", []string{"year 2028\nholiday 2028-01-01\n"}, "holiday file 1", 2, 1, "无法识别的指令"},
		{"impossible date", []string{"year 2028\noff 2028-02-30\n"}, "holiday file 1", 2, 5, "2028-02-30"},
		{"date without zero padding", []string{"year 2028\noff 2028-2-3\n"}, "holiday file 1", 2, 5, "YYYY-MM-DD"},
		{"bad end of range", []string{"year 2028\noff  2028-01-25..2028-13-01\n"}, "holiday file 1", 2, 18, "2028-13-01"},
		{"range ends before it starts", []string{"year 2028\noff  2028-01-25..2028-01-20\n"}, "holiday file 1", 2, 18, "早于开始日"},
		{"range too long", []string{"year 2028\noff 2028-01-01..2028-03-01\n"}, "holiday file 1", 2, 17, "超过 31 天"},
		{"missing date", []string{"year 2028\noff\n"}, "holiday file 1", 2, 4, "缺少日期"},
		{"work on a weekday", []string{"year 2028\noff 2028-01-01\nwork 2028-01-25\n"}, "holiday file 1", 3, 6, "星期二"},
		{"date before any year line", []string{"off 2028-01-01\nyear 2028\n"}, "holiday file 1", 1, 5, "year 2028"},
		{"date in an undeclared year", []string{"year 2028\noff 2028-01-01\noff 2029-01-02\n"}, "holiday file 1", 3, 5, "year 2029"},
		{"date listed twice", []string{"year 2028\noff 2028-01-01..2028-01-03\noff 2028-01-02\n"}, "holiday file 1", 3, 5, "第 2 行"},
		{"year declared twice", []string{"year 2028\noff 2028-01-01\nyear 2028\n"}, "holiday file 1", 3, 6, "第 1 行"},
		{"year with no day off", []string{"# 只有调休\nyear 2028\nwork 2028-01-23\n"}, "holiday file 1", 2, 6, "没有任何 off"},
		{"two-digit year", []string{"year 28\n"}, "holiday file 1", 1, 6, "年份"},
		{"year line with extra words", []string{"year 2028 2029\n"}, "holiday file 1", 1, 11, "year 年份"},
		{"column counts characters after a full-width space", []string{"year 2028\n\u3000off 2028-02-30\n"}, "holiday file 1", 2, 6, "2028-02-30"},
		{"year declared in an earlier file", []string{holidays2028, "year 2028\noff 2028-01-01\n"}, "holiday file 2", 1, 6, "holiday file 1:2"},
		{"same date in two files", []string{"year 2029\noff 2029-01-01\noff 2028-12-31\n", "year 2028\noff 2028-12-31\n"}, "holiday file 2", 2, 5, "holiday file 1:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []io.Reader
			for _, f := range tt.files {
				rs = append(rs, strings.NewReader(f))
			}
			_, err := NewCalendar(rs...)
			if err == nil {
				t.Fatal("NewCalendar succeeded, want an error")
			}
			if got := weiquan.ErrorCode(err); got != weiquan.EValidation {
				t.Errorf("error code = %q, want %q (%v)", got, weiquan.EValidation, err)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LineError", err)
			}
			if le.Source != tt.wantSrc || le.Line != tt.wantLine || le.Column != tt.wantCol {
				t.Errorf("error at %s:%d:%d, want %s:%d:%d (%v)", le.Source, le.Line, le.Column,
					tt.wantSrc, tt.wantLine, tt.wantCol, err)
			}
			msg := weiquan.ErrorMessage(err)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", msg, tt.wantMsg)
			}
			if want := "第 " + strconv.Itoa(tt.wantLine) + " 行"; !strings.Contains(msg, want) {
				t.Errorf("message %q does not name the line (%q)", msg, want)
			}
		})
	}
}

func TestCalendarOverrideTolerates(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"byte order mark and CRLF", "\uFEFFyear 2028\r\noff 2028-01-01 元旦\r\n"},
		{"comments, blank lines, tabs and a name with spaces", "\n# 2028\nyear\t2028   # 通知\n\noff\t2028-01-01\tNew Year's Day\n"},
		{"weekend inside a holiday", "year 2028\noff 2028-01-01..2028-01-02\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := quietCalendar(t, strings.NewReader(tt.file))
			if !cal.Covers(2028) {
				t.Error("Covers(2028) = false")
			}
			if cal.IsWorkingDay(sh("2028-01-01")) {
				t.Error("2028-01-01 is a working day")
			}
		})
	}
}

// syncBuffer lets concurrent goroutines log into one buffer under -race.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

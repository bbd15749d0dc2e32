package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
)

// GET /api/v1/export.csv: the cases a list shows (the filters of GET
// /api/v1/cases, within the person's scope) as a spreadsheet. UTF-8 with a
// byte-order mark, without which Excel reads Chinese as mojibake; Chinese
// headers and labels; phone numbers only masked (the index holds nothing
// more). It is written page by page with the list's cursor, so a large
// export never sits in memory, and stops at exportMaxRows.

// exportRoles may export: officers their units' cases, supervisors their
// area's, administrators all. Operators look cases up one caller at a time
// and have no use for a bulk export of the province.
var exportRoles = []weiquan.Role{weiquan.RoleOfficer, weiquan.RoleSupervisor, weiquan.RoleAdmin}

// exportMaxRows bounds one export; a larger list is cut there, said so in
// the X-Export-Truncated header and in a last line.
const exportMaxRows = 50_000

// exportTimeout bounds the whole stream, which outlives the request's
// own timeout.
const exportTimeout = 5 * time.Minute

var exportHeader = []string{"案件编号", "类型", "渠道", "状态", "结果", "处理方式", "标题", "被投诉人", "类别",
	"承办单位", "投诉人电话", "登记时间", "更新时间", "下一期限", "是否超期"}

func (s *Server) exportCSV(c *fiber.Ctx) error {
	q, err := parseQuery(c)
	if err != nil {
		return err
	}
	q.UnitIDs = splitList(c.Query("unit"))
	if c.Query("sort") == "" {
		q.Sort = search.SortCreated
	}
	q.PageSize, q.Facets, q.Cursor = search.MaxPageSize, false, ""
	a := actor(c)
	q.Scope = s.Units.Scope(a)
	now := s.Accounts.Now()

	// The first page is read before anything is sent, so that a bad filter
	// or an unavailable index is still an error with its status.
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	s.awaitOwnWrite(ctx, a.UserID)
	first, err := s.Search.Search(ctx, q)
	if err != nil {
		cancel()
		return err
	}
	s.audit(c, "", "export_csv", fmt.Sprintf("%d cases; filters %s", min(first.Total, exportMaxRows), exportFilters(c)))

	name := "案件导出-" + now.In(weiquan.Shanghai).Format("20060102-1504") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="weiquan-export-%s.csv"; filename*=UTF-8''%s`,
		now.In(weiquan.Shanghai).Format("20060102-1504"), url.PathEscape(name)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Export-Total", strconv.FormatUint(first.Total, 10))
	truncated := first.Total > exportMaxRows
	if truncated {
		c.Set("X-Export-Truncated", "true")
	}
	c.Status(fiber.StatusOK)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer cancel()
		bw.WriteString("\uFEFF")
		w := csv.NewWriter(bw)
		w.UseCRLF = true // what Excel writes and expects
		_ = w.Write(exportHeader)
		page, rows := first, 0
		for {
			for _, it := range page.Items {
				if rows == exportMaxRows {
					break
				}
				_ = w.Write(s.exportRow(it, now))
				rows++
			}
			w.Flush()
			if err := w.Error(); err != nil {
				return // the client went away
			}
			if bw.Flush() != nil || page.NextCursor == "" || rows >= exportMaxRows {
				break
			}
			q.Cursor = page.NextCursor
			next, err := s.Search.Search(ctx, q)
			if err != nil {
				s.log.Error("export stopped", "rows", rows, "err", err)
				_ = w.Write([]string{fmt.Sprintf("（导出中断：已导出 %d 条，请缩小范围后重试）", rows)})
				w.Flush()
				return
			}
			page = next
		}
		if truncated {
			_ = w.Write([]string{fmt.Sprintf("（仅导出前 %d 条，共 %d 条；请缩小筛选范围后分批导出）", exportMaxRows, first.Total)})
		}
		w.Flush()
		_ = bw.Flush()
	})
	return nil
}

func (s *Server) exportRow(it search.Summary, now time.Time) []string {
	at := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(weiquan.Shanghai).Format("2006-01-02 15:04")
	}
	overdue := ""
	if it.NextDeadline != nil && it.Status != string(weiquan.StatusClosed) {
		overdue = "否"
		if it.NextDeadline.Before(now) {
			overdue = "是"
		}
	}
	outcome, track := "", ""
	if it.Outcome != "" {
		outcome = termLabel("outcome", it.Outcome)
	}
	if it.Track != "" {
		track = termLabel("track", it.Track)
	}
	unit := "未分派"
	if it.UnitID != "" {
		unit = s.unitLabel(it.UnitID)
	}
	row := []string{it.ID, termLabel("kind", it.Kind), termLabel("channel", it.Channel), termLabel("status", it.Status),
		outcome, track, it.Title, it.RespondentName, termLabel("category", it.Category), unit, it.PhoneMasked,
		at(&it.CreatedAt), at(&it.UpdatedAt), at(it.NextDeadline), overdue}
	for i, v := range row {
		row[i] = csvSafe(v)
	}
	return row
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet
// (=HYPERLINK(…) typed into a title by a complainant).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// longDigits are runs of digits that may be a phone or ID number.
var longDigits = regexp.MustCompile(`[0-9]{7,}`)

// exportFilters is the query of an export for its audit entry, with phone
// numbers (a phone filter, or one typed as search text) left out.
func exportFilters(c *fiber.Ctx) string {
	v := url.Values{}
	for k, val := range c.Queries() {
		if k == "phone" {
			val = "（已隐去）"
		}
		v.Set(k, longDigits.ReplaceAllString(val, "***"))
	}
	if len(v) == 0 {
		return "（无）"
	}
	return v.Encode()
}

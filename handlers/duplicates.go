package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
	"weiquan/workflow"
)

// duplicatesRequest is what an operator's form sends while they type: just
// enough to compare, not a whole case.
type duplicatesRequest struct {
	Phone          string `json:"phone"`
	RespondentName string `json:"respondent_name"`
	RespondentUSCC string `json:"respondent_uscc"`
}

// checkDuplicates warns of likely duplicates before a case is saved.
func (s *Server) checkDuplicates(c *fiber.Ctx) error {
	var req duplicatesRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	v := weiquan.ValidationErrors{}
	capText(v, "phone", "电话号码", req.Phone, maxPhoneChars)
	capText(v, "respondent_name", "被投诉人名称", req.RespondentName, maxNameChars)
	capText(v, "respondent_uscc", "统一社会信用代码", req.RespondentUSCC, maxUSCCChars)
	if err := v.Err(); err != nil {
		return err
	}
	draft := weiquan.Case{
		Complainant: weiquan.Complainant{Phone: strings.TrimSpace(req.Phone)},
		Respondent:  weiquan.Respondent{Name: strings.TrimSpace(req.RespondentName), USCC: strings.TrimSpace(req.RespondentUSCC)},
	}
	if _, ok := weiquan.ParsePhone(draft.Complainant.Phone); !ok {
		return weiquan.ValidationErrors{"phone": {Code: "invalid_phone", Message: "电话号码格式不正确"}}.Err()
	}
	return s.answerDuplicates(c, &draft)
}

// caseDuplicates lists the likely duplicates of a stored case.
func (s *Server) caseDuplicates(c *fiber.Ctx) error {
	cs, err := s.readableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.answerDuplicates(c, cs)
}

func (s *Server) answerDuplicates(c *fiber.Ctx, cs *weiquan.Case) error {
	items, err := s.findDuplicates(c, cs)
	if err != nil {
		return err
	}
	return c.JSON(search.Result{Total: uint64(len(items)), Items: items})
}

// findDuplicates lists the likely duplicates of cs the person may see (the
// API and the case page alike).
func (s *Server) findDuplicates(c *fiber.Ctx, cs *weiquan.Case) ([]search.Summary, error) {
	crit, ok := workflow.DuplicatesOf(cs, s.Accounts.Now())
	if !ok {
		return []search.Summary{}, nil
	}
	q := search.Query{
		Phone: crit.Phone, RespondentUSCC: crit.RespondentUSCC, RespondentName: crit.RespondentName,
		CreatedFrom: crit.Since, Sort: search.SortCreated, PageSize: 20,
	}
	for _, st := range workflow.OpenStatuses {
		q.Status = append(q.Status, string(st))
	}
	res, err := s.scopedSearch(c, q)
	if err != nil {
		return nil, err
	}
	items := []search.Summary{}
	for _, it := range res.Items {
		if it.ID != crit.Exclude {
			items = append(items, it)
		}
	}
	return items, nil
}

package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// The intake form shared by the operator console and the consumer pages.
// Its inputs are named by the JSON paths of the intake body
// ("complainant.phone"), so a posted form becomes exactly the JSON the API
// takes, goes through the same workflow.DecodeIntake, and every field error
// it reports lands next to the input of the same name.

// intakeForm is what the person typed, kept to fill the form again when it
// comes back with errors.
type intakeForm struct {
	Kind, Channel                                    string
	CallID, CallerNumber                             string
	Name, Phone, Address, IDNumber                   string
	Anonymous                                        bool
	RName, RUSCC, RAddress, RPlatform, RShop         string
	Category, Problem, Product, Brand, Model         string
	PurchaseDate, Amount                             string
	Title, Description                               string
	Demands                                          []string
	ConsentSMS, ConsentMediation, ConsentArbitration bool
	// Answer: an inquiry answered on the spot (console only).
	Answer string
	// FormKey makes a resubmitted form find the case it already saved.
	FormKey string
	// DupAck: the person has seen the likely duplicates and saves anyway.
	DupAck bool
	// OTPCode: the consumer's SMS code (public pages only).
	OTPCode string
}

// readIntakeForm reads a posted intake form.
func readIntakeForm(c *fiber.Ctx) intakeForm {
	v := func(name string) string { return strings.TrimSpace(c.FormValue(name)) }
	on := func(name string) bool { x := c.FormValue(name); return x != "" && x != "0" && x != "false" }
	f := intakeForm{
		Kind: v("kind"), Channel: v("channel"), CallID: v("source.call_id"), CallerNumber: v("source.caller_number"),
		Name: v("complainant.name"), Phone: v("complainant.phone"), Address: v("complainant.address"),
		IDNumber: v("complainant.id_number"), Anonymous: on("complainant.anonymous"),
		RName: v("respondent.name"), RUSCC: v("respondent.uscc"), RAddress: v("respondent.address"),
		RPlatform: v("respondent.platform"), RShop: v("respondent.shop"),
		Category: v("subject.category"), Problem: v("subject.problem"), Product: v("subject.product"),
		Brand: v("subject.brand"), Model: v("subject.model"), PurchaseDate: v("subject.purchase_date"),
		Amount: v("subject.amount"), Title: v("title"), Description: c.FormValue("description"),
		ConsentSMS: on("consent.sms"), ConsentMediation: on("consent.mediation"), ConsentArbitration: on("consent.arbitration"),
		Answer: c.FormValue("answer"), FormKey: v("form_key"), DupAck: on("dup_ack"), OTPCode: v("otp_code"),
	}
	for _, d := range c.Request().PostArgs().PeekMulti("demands") {
		if s := strings.TrimSpace(string(d)); s != "" {
			f.Demands = append(f.Demands, s)
		}
	}
	return f
}

// intakeBodyOf is the intake JSON body the form stands for; empty fields
// are left out so that DecodeIntake reports what is required. An amount
// that is not a sum of money is reported under subject.amount_fen.
func (f intakeForm) intakeBodyOf() ([]byte, weiquan.ValidationErrors) {
	errs := weiquan.ValidationErrors{}
	put := func(m map[string]any, k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	body := map[string]any{}
	put(body, "kind", f.Kind)
	put(body, "channel", f.Channel)
	put(body, "title", f.Title)
	put(body, "description", f.Description)
	source := map[string]any{}
	put(source, "call_id", f.CallID)
	put(source, "caller_number", f.CallerNumber)
	if len(source) > 0 {
		body["source"] = source
	}
	comp := map[string]any{}
	put(comp, "name", f.Name)
	put(comp, "phone", f.Phone)
	put(comp, "address", f.Address)
	put(comp, "id_number", f.IDNumber)
	if f.Anonymous {
		comp["anonymous"] = true
	}
	body["complainant"] = comp
	resp := map[string]any{}
	put(resp, "name", f.RName)
	put(resp, "uscc", f.RUSCC)
	put(resp, "address", f.RAddress)
	put(resp, "platform", f.RPlatform)
	put(resp, "shop", f.RShop)
	body["respondent"] = resp
	subj := map[string]any{}
	put(subj, "category", f.Category)
	put(subj, "problem", f.Problem)
	put(subj, "product", f.Product)
	put(subj, "brand", f.Brand)
	put(subj, "model", f.Model)
	put(subj, "purchase_date", f.PurchaseDate)
	if f.Amount != "" {
		fen, ok := amountFen(f.Amount)
		if ok {
			subj["amount_fen"] = fen
		} else {
			errs.Add("subject.amount_fen", workflow.CodeInvalidAmount, "金额应为元，最多两位小数，例如 3599 或 3599.50")
		}
	}
	body["subject"] = subj
	demands := f.Demands
	if demands == nil {
		demands = []string{}
	}
	body["demands"] = demands
	body["consent"] = map[string]bool{"sms": f.ConsentSMS, "mediation": f.ConsentMediation, "arbitration": f.ConsentArbitration}
	raw, _ := json.Marshal(body)
	return raw, errs
}

// amountFen reads "3599", "3,599.5" or "￥3599.50" as fen.
func amountFen(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "，", "", "￥", "", "¥", "", "元", "", " ", "").Replace(s)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || strings.Trim(whole, "0123456789") != "" {
		return 0, false
	}
	if hasFrac && (len(frac) == 0 || len(frac) > 2 || strings.Trim(frac, "0123456789") != "") {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// decodeIntakeForm is DecodeIntake for a form: the draft, or one error
// naming every bad field (the form's own amount check included).
func (f intakeForm) decode() (weiquan.Case, error) {
	raw, errs := f.intakeBodyOf()
	draft, err := workflow.DecodeIntake(raw)
	if err == nil && len(errs) == 0 {
		return draft, nil
	}
	var de *weiquan.Error
	if err != nil && !errors.As(err, &de) {
		return weiquan.Case{}, err
	}
	out := &weiquan.Error{Code: weiquan.EValidation, Message: "请按提示修改标红的内容", Fields: map[string]weiquan.FieldError{}}
	if de != nil {
		out.Code, out.Err = de.Code, de
		if de.Code != weiquan.EValidation && de.Message != "" {
			out.Message = de.Message
		}
		for k, v := range de.Fields {
			out.Fields[k] = v
		}
	}
	for k, v := range errs {
		out.Fields[k] = v
	}
	return weiquan.Case{}, out
}

// formProblem splits an error into what a form shows: a whole-form
// message, the field errors and the status; ok is false for an error that
// is not the person's to fix (it becomes the error page).
func formProblem(err error) (msg string, fields map[string]weiquan.FieldError, status int, ok bool) {
	var de *weiquan.Error
	if !errors.As(err, &de) {
		return "", nil, 0, false
	}
	switch de.Code {
	case weiquan.EValidation, weiquan.EInvalid, weiquan.ETooLarge, weiquan.ERateLimited, weiquan.EConflict:
		return de.Message, de.Fields, statusOf[de.Code], true
	}
	return "", nil, 0, false
}

// One case per form: each intake form carries a random key, and the store
// remembers for a day which case each key saved (store.ClaimFormKey), so
// that a form posted twice — a double click, a reload of the answer to a
// POST, the back button and submit again — shows the case it already saved
// instead of registering a second one, whichever instance the post reaches
// and across restarts. A second post while the first is still saving waits
// for it. The key is also written on the case (Source.FormKey): a post that
// died between saving the case and noting it leaves a claim that a later
// post takes over after store.FormKeyClaimTimeout, finding the case by it.

const (
	// formKeyWait bounds how long a post waits for another post of the
	// same form to finish saving it (the request's own limit may end it
	// sooner).
	formKeyWait = 30 * time.Second
	// formKeyPoll is how often a waiting post looks at the store.
	formKeyPoll = 100 * time.Millisecond
)

const msgFormBusy = "这份表单的上一次提交还在保存中，请稍候再提交一次（不会重复登记）"

// claimForm returns the case already saved under the form's key, waiting
// while another post of the form is saving it; or, when this post is to
// save the form, "" and a done func to call with the new case number as
// soon as it is saved ("" when nothing was, so that the form may be sent
// again). Only done's first call counts, so it may also be deferred. A wait
// that runs out is EConflict: the other post may still save the form.
func (s *Server) claimForm(ctx context.Context, key string) (string, func(caseID string), error) {
	limit := time.NewTimer(formKeyWait)
	defer limit.Stop()
	for {
		id, token, err := s.Store.ClaimFormKey(ctx, key, s.now())
		if err != nil {
			return "", nil, err
		}
		if token != "" {
			return "", s.formDone(ctx, key, token), nil
		}
		if id != "" {
			return id, nil, nil
		}
		select {
		case <-time.After(formKeyPoll):
		case <-limit.C:
			return "", nil, weiquan.Errorf(weiquan.EConflict, msgFormBusy)
		case <-ctx.Done():
			return "", nil, weiquan.WrapError(weiquan.EConflict, msgFormBusy, ctx.Err())
		}
	}
}

// formDone is claimForm's done: it records the case saved under the key,
// or frees the key, even when the request has timed out meanwhile.
func (s *Server) formDone(ctx context.Context, key, token string) func(caseID string) {
	var once sync.Once
	return func(caseID string) {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if caseID == "" {
				if err := s.Store.ReleaseFormKey(ctx, key, token); err != nil {
					// The claim lapses after store.FormKeyClaimTimeout.
					s.log.Warn("a form that saved nothing was not freed", "err", err)
				}
				return
			}
			if err := s.Store.RecordFormKey(ctx, key, token, caseID); err != nil {
				// The case carries its key: a post of the form after the
				// claim lapses finds it there.
				s.log.Warn("the case a form saved was not noted under its key", "case", caseID, "err", err)
			}
		})
	}
}

// validFormKey accepts what randomToken makes.
func validFormKey(k string) bool { return validNonce(k) }

// termsOf lists a taxonomy for a select.
func termsOf(kind string) []weiquan.Term {
	switch kind {
	case "kind":
		return weiquan.Vocabulary.Kinds
	case "channel":
		return weiquan.Vocabulary.Channels
	case "category":
		return weiquan.Vocabulary.Categories
	case "problem":
		return weiquan.Vocabulary.Problems
	case "demand":
		return weiquan.Vocabulary.Demands
	}
	return nil
}

// fieldError is the message for a field, or for any of its items
// ("demands" shows the error of "demands[1]").
func fieldError(fields map[string]weiquan.FieldError, name string) string {
	if fe, ok := fields[name]; ok {
		return fe.Message
	}
	for k, fe := range fields {
		if strings.HasPrefix(k, name+"[") {
			return fe.Message
		}
	}
	return ""
}

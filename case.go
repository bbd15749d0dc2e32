// Package weiquan is the domain of the consumer-rights case platform: cases,
// units, users and the value types they are made of. It imports only the
// standard library; every other package builds on it.
package weiquan

import "time"

// Kind is the kind of case.
type Kind string

const (
	KindComplaint Kind = "complaint" // 投诉
	KindReport    Kind = "report"    // 举报
	KindInquiry   Kind = "inquiry"   // 咨询
)

// Channel is where a case came in.
type Channel string

const (
	Channel12315 Channel = "12315" // consumer complaints
	Channel12365 Channel = "12365" // product quality
	Channel12331 Channel = "12331" // food and drugs
	Channel12330 Channel = "12330" // intellectual property
	Channel12358 Channel = "12358" // prices
	ChannelWeb   Channel = "web"
	ChannelAPI   Channel = "api"
)

// Channels lists every channel in display order.
var Channels = []Channel{Channel12315, Channel12365, Channel12331, Channel12330, Channel12358, ChannelWeb, ChannelAPI}

// IsHotline reports whether the channel is a telephone hotline.
func (c Channel) IsHotline() bool {
	switch c {
	case Channel12315, Channel12365, Channel12331, Channel12330, Channel12358:
		return true
	}
	return false
}

// Status is where a case stands in the state machine.
type Status string

const (
	StatusRegistered Status = "registered" // 登记
	StatusAssigned   Status = "assigned"   // 已分派
	StatusAccepted   Status = "accepted"   // 已受理
	StatusMediating  Status = "mediating"  // 调解中
	StatusVerifying  Status = "verifying"  // 核查中
	StatusClosed     Status = "closed"     // 办结
)

// Outcome is how a closed case ended.
type Outcome string

const (
	OutcomeNone            Outcome = ""
	OutcomeResolved        Outcome = "resolved"
	OutcomeMediationFailed Outcome = "mediation_failed"
	OutcomeRejected        Outcome = "rejected"
	OutcomeWithdrawn       Outcome = "withdrawn"
	OutcomeReferred        Outcome = "referred"
	OutcomeAnswered        Outcome = "answered"
	OutcomeFiled           Outcome = "filed"
	OutcomeNotFiled        Outcome = "not_filed"
)

// Track is the way a case is handled.
type Track string

const (
	TrackNone        Track = ""
	TrackAgency      Track = "agency"
	TrackODR         Track = "odr"
	TrackStation     Track = "station"
	TrackArbitration Track = "arbitration"
	TrackEnforcement Track = "enforcement"
	TrackAnswer      Track = "answer"
)

// Case is one complaint, report or inquiry. It is one document in the store:
// its timeline and everything that changes with it live inside, so that every
// state change is a single atomic update.
type Case struct {
	ID          string      `json:"id" bson:"_id"`
	Version     int64       `json:"version" bson:"version"`
	Kind        Kind        `json:"kind" bson:"kind"`
	Channel     Channel     `json:"channel" bson:"channel"`
	Source      Source      `json:"source" bson:"source"`
	Complainant Complainant `json:"complainant" bson:"complainant"`
	Respondent  Respondent  `json:"respondent" bson:"respondent"`
	Subject     Subject     `json:"subject" bson:"subject"`
	Title       string      `json:"title" bson:"title"`
	Description string      `json:"description" bson:"description"`
	Demands     []string    `json:"demands" bson:"demands"`
	Consent     Consent     `json:"consent" bson:"consent"`
	Status      Status      `json:"status" bson:"status"`
	Outcome     Outcome     `json:"outcome" bson:"outcome"`
	Track       Track       `json:"track" bson:"track"`
	UnitID      string      `json:"unit_id" bson:"unit_id"`
	UnitTrail   []string    `json:"unit_trail" bson:"unit_trail"` // see Trail
	Department  string      `json:"department" bson:"department"`
	Deadlines   Deadlines   `json:"deadlines" bson:"deadlines"`
	Policy      string      `json:"policy" bson:"policy"`
	Links       []Link      `json:"links" bson:"links"`
	Events      []Event     `json:"events" bson:"events"`
	// Routing is the last routing decision with its explanation.
	Routing *RoutingDecision `json:"routing,omitempty" bson:"routing,omitempty"`
	// Result holds what closing the case established.
	Result Result `json:"result" bson:"result"`
	// Mediation tracks pauses (Order 20 Art. 20: time for testing or
	// appraisal does not count against mediate_by).
	Mediation Mediation `json:"mediation" bson:"mediation"`
	// Alerts are the deadline warnings and overdue notices already raised,
	// so the sweeper raises each once.
	Alerts []Alert `json:"alerts" bson:"alerts"`
	// Flags are signals for people: "cluster" (群体性投诉), "possible_duplicate".
	Flags []string `json:"flags" bson:"flags"`
	// Messages are the SMS owed and sent to the complainant.
	Messages []Message `json:"messages" bson:"messages"`
	// Satisfaction is the 1–5 score the complainant replied after closure
	// (回访); 0 when none.
	Satisfaction int       `json:"satisfaction" bson:"satisfaction"`
	CreatedAt    time.Time `json:"created_at" bson:"created_at"`
	UpdatedAt    time.Time `json:"updated_at" bson:"updated_at"`
}

// Source says who recorded the case and how.
type Source struct {
	Type         string `json:"type" bson:"type"` // hotline, web, api
	OperatorID   string `json:"operator_id" bson:"operator_id"`
	CallID       string `json:"call_id" bson:"call_id"`
	CallerNumber string `json:"caller_number" bson:"caller_number"`
	// FormKey is the key of the intake form the case was saved from, so
	// that a form posted again finds it even when the post that saved it
	// died before noting it (store/formkeys.go). Internal: in no view.
	FormKey string `json:"-" bson:"form_key,omitempty"`
}

// Complainant is the consumer (投诉人) or reporter (举报人).
type Complainant struct {
	Name      string `json:"name" bson:"name"`
	Phone     string `json:"phone" bson:"phone"`
	Address   string `json:"address" bson:"address"`
	Anonymous bool   `json:"anonymous" bson:"anonymous"`
	// IDNumber is the resident ID number (身份证号) in clear: only ever in
	// memory (intake, the audited full view), never stored (pii.go).
	IDNumber       string `json:"id_number,omitempty" bson:"-"`
	IDNumberSealed string `json:"-" bson:"id_number_sealed,omitempty"` // AES-GCM, KeyRing.Seal
	IDNumberMasked string `json:"id_number_masked,omitempty" bson:"id_number_masked,omitempty"`
	// Withheld is set in a view that hides who the complainant is (a report
	// seen from the respondent's side); never stored.
	Withheld bool `json:"withheld,omitempty" bson:"-"`
}

// Respondent is the business complained about (被投诉人).
type Respondent struct {
	Name         string `json:"name" bson:"name"`
	USCC         string `json:"uscc" bson:"uscc"`
	Address      string `json:"address" bson:"address"`
	DivisionCode string `json:"division_code" bson:"division_code"`
	Platform     string `json:"platform" bson:"platform"`
	Shop         string `json:"shop" bson:"shop"`
}

// Subject is what the dispute is about.
type Subject struct {
	Category     string `json:"category" bson:"category"`
	Problem      string `json:"problem" bson:"problem"`
	Product      string `json:"product" bson:"product"`
	Brand        string `json:"brand" bson:"brand"`
	Model        string `json:"model" bson:"model"`
	PurchaseDate string `json:"purchase_date" bson:"purchase_date"` // YYYY-MM-DD
	AmountFen    int64  `json:"amount_fen" bson:"amount_fen"`
}

// Consent records what the complainant agreed to.
type Consent struct {
	SMS         bool `json:"sms" bson:"sms"`
	Mediation   bool `json:"mediation" bson:"mediation"`
	Arbitration bool `json:"arbitration" bson:"arbitration"`
}

// Deadlines are the legal time limits of the case, end of day Asia/Shanghai.
type Deadlines struct {
	AcceptBy  *time.Time `json:"accept_by,omitempty" bson:"accept_by,omitempty"`
	MediateBy *time.Time `json:"mediate_by,omitempty" bson:"mediate_by,omitempty"`
	VerifyBy  *time.Time `json:"verify_by,omitempty" bson:"verify_by,omitempty"`
	// TrackBy is the deadline of an ODR enterprise or station before the case
	// escalates back to routing.
	TrackBy *time.Time `json:"track_by,omitempty" bson:"track_by,omitempty"`
	// NoticeBy is when the complainant or reporter must have been told the
	// outcome (termination notice, reporter notice).
	NoticeBy *time.Time `json:"notice_by,omitempty" bson:"notice_by,omitempty"`
}

// RoutingDecision is where routing sent a case and why.
type RoutingDecision struct {
	Rule        string    `json:"rule" bson:"rule"` // rule name, e.g. "county-agency"
	Line        int       `json:"line" bson:"line"` // line of the rule in its file
	Track       Track     `json:"track" bson:"track"`
	UnitID      string    `json:"unit_id" bson:"unit_id"`
	Department  string    `json:"department" bson:"department"`
	Explanation []string  `json:"explanation" bson:"explanation"`
	At          time.Time `json:"at" bson:"at"`
}

// Result is what a closed case established.
type Result struct {
	AmountRecoveredFen int64  `json:"amount_recovered_fen" bson:"amount_recovered_fen"` // 挽回经济损失
	Ground             string `json:"ground" bson:"ground"`                             // rejection ground code
	Hotline            string `json:"hotline" bson:"hotline"`                           // where to go instead, when out of jurisdiction
	Answer             string `json:"answer" bson:"answer"`                             // inquiry answer
	Note               string `json:"note" bson:"note"`
}

// Mediation records pauses of mediation.
type Mediation struct {
	PausedAt   *time.Time `json:"paused_at,omitempty" bson:"paused_at,omitempty"`
	PausedDays int        `json:"paused_days" bson:"paused_days"` // working days paused so far
}

// Alert is one deadline warning or overdue notice.
type Alert struct {
	Deadline string    `json:"deadline" bson:"deadline"` // accept_by, mediate_by, verify_by, track_by, notice_by
	Kind     string    `json:"kind" bson:"kind"`         // warning, overdue
	Due      time.Time `json:"due" bson:"due"`           // the deadline it was raised for
	At       time.Time `json:"at" bson:"at"`
}

// Link relates a case to another one.
type Link struct {
	Type   string `json:"type" bson:"type"` // duplicate_of, merged_into, …
	CaseID string `json:"case_id" bson:"case_id"`
}

// Event is one entry of a case's timeline.
type Event struct {
	Seq    int       `json:"seq" bson:"seq"`
	At     time.Time `json:"at" bson:"at"`
	Actor  string    `json:"actor" bson:"actor"`
	Type   string    `json:"type" bson:"type"`
	From   Status    `json:"from,omitempty" bson:"from,omitempty"`
	To     Status    `json:"to,omitempty" bson:"to,omitempty"`
	Public bool      `json:"public" bson:"public"` // the complainant may see it
	Note   string    `json:"note" bson:"note"`
}

// Event types.
const (
	EventRegistered = "registered"
)

// Shanghai is the time zone of every date a person sees and of case numbers.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// No tzdata on the machine: China has had no DST since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// InShanghai returns t truncated to the millisecond (what BSON keeps) and in
// Asia/Shanghai, so a case reads the same whether it was just built or read
// back from the store.
func InShanghai(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Millisecond).In(Shanghai)
}

// NormalizeTimes applies InShanghai to every time in the case.
func (c *Case) NormalizeTimes() {
	c.CreatedAt = InShanghai(c.CreatedAt)
	c.UpdatedAt = InShanghai(c.UpdatedAt)
	for _, d := range []**time.Time{&c.Deadlines.AcceptBy, &c.Deadlines.MediateBy, &c.Deadlines.VerifyBy,
		&c.Deadlines.TrackBy, &c.Deadlines.NoticeBy, &c.Mediation.PausedAt} {
		if *d != nil {
			t := InShanghai(**d)
			*d = &t
		}
	}
	for i := range c.Events {
		c.Events[i].At = InShanghai(c.Events[i].At)
	}
	if c.Routing != nil {
		r := *c.Routing
		r.At = InShanghai(r.At)
		c.Routing = &r
	}
	if c.Messages != nil {
		msgs := make([]Message, len(c.Messages))
		for i, m := range c.Messages {
			m.CreatedAt, m.UpdatedAt = InShanghai(m.CreatedAt), InShanghai(m.UpdatedAt)
			for _, p := range []**time.Time{&m.NotBefore, &m.SentAt, &m.LeaseUntil} {
				if *p != nil {
					t := InShanghai(**p)
					*p = &t
				}
			}
			msgs[i] = m
		}
		c.Messages = msgs
	}
	if c.Alerts != nil {
		alerts := make([]Alert, len(c.Alerts))
		for i, a := range c.Alerts {
			a.At, a.Due = InShanghai(a.At), InShanghai(a.Due)
			alerts[i] = a
		}
		c.Alerts = alerts
	}
}

// Message is one SMS to the complainant. A state change that owes a message
// records it here, in the same document write as the transition, so a crash
// can never lose it; the notifications dispatcher sends it and records what
// Twilio says.
type Message struct {
	Seq      int    `json:"seq" bson:"seq"`
	Template string `json:"template" bson:"template"` // registered, accepted, rejected, …
	To       string `json:"to" bson:"to"`             // E.164
	Body     string `json:"body" bson:"body"`
	Segments int    `json:"segments" bson:"segments"` // UCS-2 SMS segments
	Urgent   bool   `json:"urgent" bson:"urgent"`     // may be sent in quiet hours
	// Status: owed (not yet handed to Twilio), queued, sent, delivered,
	// undelivered, failed, suppressed (opted out, no consent, confidential).
	Status       string     `json:"status" bson:"status"`
	SID          string     `json:"sid" bson:"sid"`
	ErrorCode    int        `json:"error_code,omitempty" bson:"error_code,omitempty"`
	ErrorMessage string     `json:"error_message,omitempty" bson:"error_message,omitempty"`
	Attempts     int        `json:"attempts" bson:"attempts"`
	NotBefore    *time.Time `json:"not_before,omitempty" bson:"not_before,omitempty"` // quiet hours, backoff
	LeaseOwner   string     `json:"-" bson:"lease_owner,omitempty"`
	LeaseUntil   *time.Time `json:"-" bson:"lease_until,omitempty"`
	CreatedAt    time.Time  `json:"created_at" bson:"created_at"`
	SentAt       *time.Time `json:"sent_at,omitempty" bson:"sent_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at" bson:"updated_at"`
}

// Message statuses.
const (
	MessageOwed        = "owed"
	MessageQueued      = "queued"
	MessageSent        = "sent"
	MessageDelivered   = "delivered"
	MessageUndelivered = "undelivered"
	MessageFailed      = "failed"
	MessageSuppressed  = "suppressed"
)

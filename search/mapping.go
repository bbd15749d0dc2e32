package search

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"weiquan"
)

// MappingVersion names the shape of the index: the fields, their options and
// the analysis code. Bump it with any change that makes an existing index
// answer differently; Open then reports ErrNeedsRebuild.
//
// 2: sort keys, dates as Unix seconds, doc values per case uncompressed
// (addToBatch; the stored mapping does not show that one).
// 3: unit_trail, every unit that has held the case, for access control.
// 4: flags, and the dashboard's counting fields (trend, recovered).
// 5: sweep_warn, sweep_overdue: what the deadline sweeper still owes (sweep.go).
// 6: range fields (ranges.go) in place of bleve's numbers.
const MappingVersion = 6

// Field names in the index.
const (
	fVersion       = "version"
	fKind          = "kind"
	fChannel       = "channel"
	fStatus        = "status"
	fOutcome       = "outcome"
	fTrack         = "track"
	fUnit          = "unit_id"
	fTrail         = "unit_trail"
	fDepartment    = "department"
	fCategory      = "category"
	fProblem       = "problem"
	fCounty        = "county"
	fCity          = "city"
	fRespondent    = "respondent_name"
	fRespondentKey = "respondent_key"
	fUSCC          = "uscc"
	fPhoneHash     = "phone_hash"
	fPhoneLast4    = "phone_last4"
	fProduct       = "product"
	fBrand         = "brand"
	fModel         = "model"
	fTitle         = "title"
	fDescription   = "description"
	fNotes         = "notes"
	fAmount        = "amount_fen"
	fCreated       = "created_at"
	fUpdated       = "updated_at"
	fNextDeadline  = "next_deadline"
	fCreatedRange  = "created_range"
	fDeadlineRange = "deadline_range"
	fCreatedKey    = "created_key"
	fDeadlineKey   = "deadline_key"
	fFlags         = "flags"
	fTrend         = "trend"
	fRecovered     = "recovered"
)

// Unset is indexed in place of an empty code (no unit yet, no track, no
// outcome), so that a filter or a facet can name "none".
const Unset = "-"

// textFields are searched by free text, with their weight in the ranking:
// a hit in the title or the company's name says more than one in a long
// description or a note.
//
// Positions (term vectors) cost about 40% of a text field's size. They are
// kept where a query part must match as a phrase, in the running text;
// the short fields (a name, a product, a brand, a model number) are matched
// by all of the part's bigrams without positions, since in ten characters
// they can hardly occur apart from each other.
var textFields = []struct {
	name   string
	boost  float64
	phrase bool
}{
	{fTitle, 3, true},
	{fRespondent, 2, false},
	{fProduct, 2, false},
	{fBrand, 2, false},
	{fModel, 2, false},
	{fDescription, 1, true},
	{fNotes, 0.5, true},
}

// storedFields are read back for a Summary.
var storedFields = []string{
	fVersion, fKind, fChannel, fStatus, fOutcome, fTrack, fTitle, fRespondent,
	fCategory, fUnit, fCreated, fUpdated, fNextDeadline, fPhoneLast4,
}

// highlightFields are read back, besides storedFields, to mark matches.
var highlightFields = []string{fProduct, fBrand, fModel, fDescription, fNotes}

func newMapping() *mapping.IndexMappingImpl {
	text := func(positions bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = AnalyzerIndex
		f.Store = true // for highlights, which are computed from the text
		f.IncludeTermVectors = positions
		f.IncludeInAll = false
		f.DocValues = false // never sorted or faceted on; doc values would double the size
		return f
	}
	kw := func(store, docValues bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = docValues
		// Codes only filter (with no weight in the score), so the term
		// frequencies and norms that scoring reads are not kept.
		f.SkipFreqNorm = true
		return f
	}
	scored := func(f *mapping.FieldMapping) *mapping.FieldMapping {
		f.SkipFreqNorm = false
		return f
	}
	// Numbers are only stored, for a summary; see the range fields below.
	num := func() *mapping.FieldMapping {
		f := mapping.NewNumericFieldMapping()
		f.Index = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}

	storedOnly := func(f *mapping.FieldMapping) *mapping.FieldMapping {
		f.Index = false
		return f
	}

	doc := mapping.NewDocumentStaticMapping()
	add := func(name string, f *mapping.FieldMapping) { doc.AddFieldMappingsAt(name, f) }

	// Codes: filters, facets (doc values), and what a summary shows (stored).
	// The case number needs no field of its own: bleve's _id answers it.
	add(fVersion, num())
	add(fKind, kw(true, false))
	add(fChannel, kw(true, true))
	add(fStatus, kw(true, true))
	add(fOutcome, kw(true, false))
	add(fTrack, kw(true, false))
	add(fUnit, kw(true, true))
	add(fTrail, kw(false, false)) // access scope only: never shown, sorted or counted
	add(fDepartment, kw(false, false))
	add(fCategory, kw(true, true))
	add(fProblem, kw(false, false))
	add(fCounty, kw(false, false))
	add(fCity, kw(false, true))
	add(fRespondentKey, kw(false, false))
	add(fUSCC, scored(kw(false, false)))      // also an exact free-text match
	add(fPhoneHash, scored(kw(false, false))) // likewise
	add(fPhoneLast4, storedOnly(kw(true, false)))

	for _, f := range textFields {
		add(f.name, text(f.phrase))
	}

	// Amounts and times. What a query filters by range is a range field
	// (ranges.go), a few terms per value; bleve's own numbers, 16 terms
	// each, are kept only for what a summary shows, stored and not indexed.
	// Times are Unix seconds.
	for _, f := range []string{fAmount, fCreatedRange, fDeadlineRange, fSweepWarn, fSweepOverdue} {
		add(f, kw(false, false))
	}
	add(fCreated, num())
	add(fUpdated, num())
	add(fNextDeadline, num())

	// Sort keys. A sort reads the doc values of every matching case, and
	// bleve keeps them in compressed chunks of about a thousand cases: a
	// number's 16 terms made each chunk large, and a sort over a few
	// thousand cases spread through a million decompressed every chunk.
	// A key is one short string, the time in hex followed by the case
	// number, so it also breaks ties without reading each case's id.
	add(fCreatedKey, kw(false, true))
	add(fDeadlineKey, kw(false, true))

	// Dashboard counting (stats.go): flags filter (the cluster list); trend
	// and recovered are only ever counted as facets, so they keep doc values
	// and nothing else.
	add(fFlags, kw(false, false))
	add(fTrend, kw(false, true))
	add(fRecovered, kw(false, true))

	m := mapping.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = AnalyzerIndex
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	return m
}

// NextDeadline is the time limit the case is working against now: accepting
// it while it waits for a unit's decision, finishing mediation once accepted,
// verification for a report being checked. A closed case has none. When the
// limit that belongs to the status is not set, the earliest one that is set
// stands in, so that no open case with a deadline drops out of the overdue
// list.
func NextDeadline(c *weiquan.Case) *time.Time {
	d := c.Deadlines
	var t *time.Time
	switch c.Status {
	case weiquan.StatusClosed:
		return nil
	case weiquan.StatusRegistered, weiquan.StatusAssigned:
		t = d.AcceptBy
		// An ODR enterprise or station must settle by track_by or the case
		// escalates: whichever comes first is what the unit works against.
		if d.TrackBy != nil && (t == nil || d.TrackBy.Before(*t)) {
			t = d.TrackBy
		}
	case weiquan.StatusAccepted, weiquan.StatusMediating:
		t = d.MediateBy
	case weiquan.StatusVerifying:
		t = d.VerifyBy
	}
	if t != nil {
		return t
	}
	for _, x := range []*time.Time{d.AcceptBy, d.MediateBy, d.VerifyBy} {
		if x != nil && (t == nil || x.Before(*t)) {
			t = x
		}
	}
	return t
}

// phoneHasher turns a phone number into the only form of it the index holds:
// a keyed hash. Without the key a stolen index does not give the numbers back
// (a plain hash of an 11-digit number is reversed by trying them all).
type phoneHasher []byte

// hash is 72 bits of the HMAC: ample to keep a few million numbers apart,
// and a unique term in every case, so every byte costs index size.
func (k phoneHasher) hash(phone string) string {
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(normalizePhone(phone)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:9])
}

// normalizePhone gives the stored form of a number whichever way it was
// typed; a string that is no phone number is kept as its digits, so that it
// still matches itself.
func normalizePhone(s string) string {
	if p, ok := weiquan.ParsePhone(s); ok {
		return string(p)
	}
	return digits(s)
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		}
	}
	return b.String()
}

func last4(phone string) string {
	d := digits(phone)
	if len(d) < 4 {
		return ""
	}
	return d[len(d)-4:]
}

// MaskedPhone is how a list shows a number of which the index keeps only
// the last four digits.
func MaskedPhone(last4 string) string {
	if last4 == "" {
		return ""
	}
	return "*******" + last4
}

// respondentKey is the respondent's name reduced to what stays the same
// however it is typed: duplicates are found "by USCC, else normalised name".
func respondentKey(name string) string {
	var b strings.Builder
	for _, r := range Normalize(name) {
		if isCJK(r) || isWordRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// trailTerms are the units a case's access scope is matched against: every
// unit that has held it, or Unset for a case no unit ever held, so that the
// scope of those who may see unplaced cases can name them.
func trailTerms(c *weiquan.Case) []string {
	if t := c.Trail(); len(t) > 0 {
		return t
	}
	return []string{Unset}
}

func orUnset(s string) string {
	if s == "" {
		return Unset
	}
	return s
}

// document is what the index holds of a case. The phone numbers appear only
// hashed, and are blanked out of the free text in which someone typed them.
func (ix *Index) document(c *weiquan.Case) map[string]any {
	var phones []string
	for _, p := range []string{c.Complainant.Phone, c.Source.CallerNumber} {
		if digits(p) != "" {
			phones = append(phones, p)
		}
	}
	forms := phoneForms(phones)
	scrub := func(s string) string { return scrubPhones(s, forms) }

	var notes []string
	for _, e := range c.Events {
		if e.Note != "" {
			notes = append(notes, scrub(e.Note))
		}
	}
	county := c.Respondent.DivisionCode
	d := map[string]any{
		fVersion:      c.Version,
		fKind:         orUnset(string(c.Kind)),
		fChannel:      orUnset(string(c.Channel)),
		fStatus:       orUnset(string(c.Status)),
		fOutcome:      orUnset(string(c.Outcome)),
		fTrack:        orUnset(string(c.Track)),
		fUnit:         orUnset(c.UnitID),
		fTrail:        trailTerms(c),
		fDepartment:   orUnset(c.Department),
		fCategory:     orUnset(c.Subject.Category),
		fProblem:      orUnset(c.Subject.Problem),
		fCounty:       orUnset(county),
		fCity:         orUnset(weiquan.CityCode(county)),
		fRespondent:   scrub(c.Respondent.Name),
		fProduct:      scrub(c.Subject.Product),
		fBrand:        scrub(c.Subject.Brand),
		fModel:        scrub(c.Subject.Model),
		fTitle:        scrub(c.Title),
		fDescription:  scrub(c.Description),
		fNotes:        strings.Join(notes, "\n"),
		fAmount:       rangeTerms(c.Subject.AmountFen),
		fCreated:      unixSeconds(c.CreatedAt),
		fCreatedRange: rangeTerms(c.CreatedAt.Unix()),
		fUpdated:      unixSeconds(c.UpdatedAt),
	}
	if k := respondentKey(c.Respondent.Name); k != "" {
		d[fRespondentKey] = k
	}
	if u := weiquan.NormalizeUSCC(c.Respondent.USCC); u != "" {
		d[fUSCC] = u
	}
	if len(phones) > 0 {
		hashes := make([]string, 0, len(phones))
		for _, p := range phones {
			hashes = append(hashes, ix.phoneKey.hash(p))
		}
		d[fPhoneHash] = hashes
		if l4 := last4(c.Complainant.Phone); l4 != "" {
			d[fPhoneLast4] = l4
		}
	}
	d[fCreatedKey] = sortKey(&c.CreatedAt, c.ID)
	next := NextDeadline(c)
	d[fDeadlineKey] = sortKey(next, c.ID)
	if next != nil {
		d[fNextDeadline] = unixSeconds(*next)
		d[fDeadlineRange] = rangeTerms(next.Unix())
	}
	sweepFields(d, c)
	if len(c.Flags) > 0 {
		d[fFlags] = c.Flags
	}
	d[fTrend] = trendTerms(c)
	if r := recoveredTerms(c); r != nil {
		d[fRecovered] = r
	}
	return d
}

// phoneForms are the digit strings by which the numbers can appear in free
// text: the whole number, and a landline's local part, which people often
// write without the area code.
func phoneForms(phones []string) []string {
	var forms []string
	for _, p := range phones {
		n := normalizePhone(p)
		forms = append(forms, digits(n))
		if area, local, ok := strings.Cut(n, "-"); ok && area != "" && len(local) >= 7 {
			forms = append(forms, local)
		}
	}
	return forms
}

// scrubPhones masks, in text, every run of digits and the separators people
// put between them whose digits contain one of the forms (回电138 0013 8000
// becomes 回电138******8000): the text is indexed as a list shows it.
func scrubPhones(text string, forms []string) string {
	return weiquan.ScrubPII(text, forms, nil)
}

// unixSeconds is how the index holds a time; see newMapping.
func unixSeconds(t time.Time) float64 { return float64(t.Unix()) }

// fromUnixSeconds is the inverse of unixSeconds, in the time zone people see.
func fromUnixSeconds(v float64) time.Time { return time.Unix(int64(v), 0).In(weiquan.Shanghai) }

// secondsRange turns [from, to) into the inclusive range of whole seconds
// the index holds: a case created at 10:00:00.7 is indexed at 10:00:00.
func secondsRange(from, to time.Time) (lo, hi *int64) {
	if !from.IsZero() {
		s := from.Unix()
		if from.Nanosecond() > 0 {
			s++
		}
		lo = &s
	}
	if !to.IsZero() {
		s := to.Unix()
		if to.Nanosecond() == 0 {
			s--
		}
		hi = &s
	}
	return lo, hi
}

// noTimeKey sorts after every time: cases without a deadline come last.
const noTimeKey = "ffffffffff"

// sortKey orders by time to the second, then by case number: ten hex digits
// of the Unix time (fixed width, so that bytes sort as numbers) and the id.
func sortKey(t *time.Time, id string) string {
	if t == nil || t.Unix() < 0 {
		return noTimeKey + id
	}
	return fmt.Sprintf("%010x", t.Unix()) + id
}

// addToBatch maps a case to a bleve document and adds it to the batch.
//
// The doc values (sort keys, facet codes) are then stored one case at a
// time and uncompressed, which the field mapping cannot say: bleve keeps
// them by default in snappy-compressed chunks of about a thousand cases,
// and a list whose few thousand cases are spread over a million (a unit's
// queue, a search with filters) decompressed every chunk of every field it
// sorted or counted by, once per query. Measured on a million cases, that
// was most of the time of such queries.
func (ix *Index) addToBatch(b *bleve.Batch, c *weiquan.Case) error {
	doc := document.NewDocument(c.ID)
	if err := ix.idx.Mapping().MapDocument(doc, ix.document(c)); err != nil {
		return fmt.Errorf("search: mapping case %s: %w", c.ID, err)
	}
	for i, f := range doc.Fields {
		tf, ok := f.(*document.TextField)
		if !ok || !f.Options().IncludeDocValues() {
			continue
		}
		doc.Fields[i] = document.NewTextFieldCustom(tf.Name(), tf.ArrayPositions(), tf.Value(),
			tf.Options()|index.SkipDVCompression|index.SkipDVChunking, ix.keywordAnalyzer)
	}
	return b.IndexAdvanced(doc)
}

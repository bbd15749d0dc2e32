// Package seed generates realistic synthetic cases for demos and benchmarks:
// complaints, reports and inquiries on every channel, from consumers with
// Chinese names and valid mobile numbers, against plausible (never real)
// Fujian businesses with valid unified social credit codes, about products
// and problems of the taxonomy, with Chinese titles and descriptions of the
// kind consumers write.
//
// A Generator is deterministic: the same seed and options give the same
// sequence of cases on every machine, so a benchmark can be rerun on
// identical data and a demo database rebuilt exactly.
package seed

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"weiquan"
)

// Options shape the generated cases. The zero value is usable.
type Options struct {
	// Corpus, when not empty, supplies the descriptions of complaints and
	// reports (real consumer texts, see LoadCorpus) instead of the built-in
	// templates. Inquiries keep their template questions. The slice is read,
	// never modified.
	Corpus []string
	// From and To bound the creation dates, spread uniformly over [From, To).
	// From defaults to two years before To; To defaults to Now.
	From, To time.Time
	// Now is the present for the defaults. The generator never reads the
	// clock, so that output depends only on the seed and the options; a zero
	// Now means 2026-01-01 00:00 Asia/Shanghai.
	Now time.Time
}

// Length limits the generated texts respect, below the intake limits.
const (
	maxTitleRunes       = 60
	maxDescriptionRunes = 2000
	// A corpus text shorter than this gets a templated sentence in front,
	// so that the description still says what was bought and where.
	minCorpusRunes = 20
)

// Generator produces cases. It is not safe for concurrent use: give each
// goroutine its own Generator (with its own seed).
type Generator struct {
	r        *rand.Rand
	corpus   []string
	from, to int64 // Unix seconds, [from, to)
}

// New returns a generator for the seed. Two generators with the same seed and
// options produce identical sequences.
func New(seed int64, opts Options) *Generator {
	now := opts.Now
	if now.IsZero() {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, weiquan.Shanghai)
	}
	to := opts.To
	if to.IsZero() {
		to = now
	}
	from := opts.From
	if from.IsZero() || !from.Before(to) {
		from = to.AddDate(-2, 0, 0)
	}
	// Whole seconds inside [From, To): round From up, keep To exclusive.
	lo := from.Unix()
	if from.Nanosecond() > 0 {
		lo++
	}
	hi := to.Unix()
	if to.Nanosecond() > 0 {
		hi++
	}
	if hi <= lo {
		hi = lo + 1
	}
	return &Generator{
		// The PCG's second word is fixed so that the seed alone selects the
		// stream; it is arbitrary but must never change.
		r:      rand.New(rand.NewPCG(uint64(seed), 0x5745495155414e)),
		corpus: opts.Corpus,
		from:   lo,
		to:     hi,
	}
}

// Next returns the next draft case: what intake receives before it numbers,
// registers and routes it (no ID, status, events or deadlines).
func (g *Generator) Next() weiquan.Case {
	var c weiquan.Case
	c.Kind = g.kind()
	created := g.createdAt()

	p, def := g.subject(c.Kind)
	goods := isGoods(p.category)
	c.Channel = g.channel(c.Kind, p.category, def.problem, goods)
	if c.Channel.IsHotline() {
		created = g.officeHours(created)
	}
	c.CreatedAt = created

	// Subject.
	s := weiquan.Subject{Category: p.category, Problem: def.problem, Product: p.name}
	var models []string
	if len(p.brands) > 0 {
		br := p.brands[g.r.IntN(len(p.brands))]
		s.Brand = br.name
		models = br.models
	}
	if len(models) == 0 {
		models = p.models
	}
	if len(models) > 0 {
		s.Model = g.pattern(models[g.r.IntN(len(models))])
	}
	maxAge := p.maxAgeDays
	if maxAge < 1 {
		maxAge = 120
	}
	age := 1 + g.r.IntN(maxAge)
	purchased := created.In(weiquan.Shanghai).AddDate(0, 0, -age)
	s.PurchaseDate = purchased.Format(time.DateOnly)
	s.AmountFen = g.amount(p.minYuan, p.maxYuan)
	used := 1 + g.r.IntN(min(age, 90))

	// Respondent: everyone but the inquirer names one.
	online := p.online && c.Kind != weiquan.KindInquiry && g.r.IntN(100) < 35
	var rc county
	if c.Kind != weiquan.KindInquiry {
		rc = counties[countyPicker.pick(g.r)]
		c.Respondent = g.respondent(p, rc, online)
	}

	// Complainant and source.
	anonymous := c.Kind == weiquan.KindReport && g.r.IntN(100) < 35
	c.Complainant = g.complainant(c.Kind, anonymous, rc)
	c.Source = g.source(c.Channel, c.Complainant, created)

	// Demands, consent.
	c.Demands = []string{}
	if c.Kind == weiquan.KindComplaint {
		c.Demands = g.demands(def.problem, goods)
	}
	c.Consent = g.consent(c.Kind, anonymous)

	// Inquiries rarely come with a receipt: drop what the caller would not
	// say.
	if c.Kind == weiquan.KindInquiry {
		s.Model = ""
		if g.r.IntN(2) == 0 {
			s.PurchaseDate = ""
		}
		if g.r.IntN(3) == 0 {
			s.Brand = ""
		}
	}
	c.Subject = s

	// Texts.
	fill := g.slots(&c, p, def, goods, online, purchased, used)
	switch c.Kind {
	case weiquan.KindInquiry:
		// The title names the question, so it goes with it.
		q := g.template(inquiryDescriptions, goods, online, def.problem)
		c.Title = shortTitle(fill, q.title)
		c.Description = fill.Replace(q.text)
		return c
	case weiquan.KindReport:
		c.Title = shortTitle(fill, g.template(reportTitles, goods, online, def.problem).text)
	default:
		c.Title = shortTitle(fill, g.template(complaintTitles, goods, online, def.problem).text)
	}
	if len(g.corpus) > 0 {
		c.Description = g.corpusText(fill, c.Kind)
	} else {
		descs := complaintDescriptions
		if c.Kind == weiquan.KindReport {
			descs = reportDescriptions
		}
		c.Description = fill.Replace(g.template(descs, goods, online, def.problem).text)
	}
	return c
}

func (g *Generator) kind() weiquan.Kind {
	switch x := g.r.IntN(100); {
	case x < 75:
		return weiquan.KindComplaint
	case x < 90:
		return weiquan.KindReport
	default:
		return weiquan.KindInquiry
	}
}

func (g *Generator) createdAt() time.Time {
	sec := g.from + g.r.Int64N(g.to-g.from)
	return time.Unix(sec, 0).In(weiquan.Shanghai)
}

// officeHours moves a hotline call to between 08:00 and 20:00 of its day,
// when the hotlines are staffed, unless that would leave [From, To).
func (g *Generator) officeHours(t time.Time) time.Time {
	y, m, d := t.Date()
	moved := time.Date(y, m, d, 8, 0, 0, 0, weiquan.Shanghai).Add(time.Duration(g.r.IntN(12*3600)) * time.Second)
	if sec := moved.Unix(); sec >= g.from && sec < g.to {
		return moved
	}
	return t
}

// subject picks a product and what went wrong with it; a report needs an
// offence the agency can investigate.
func (g *Generator) subject(kind weiquan.Kind) (product, defect) {
	for {
		cat := categoryWeights[categoryPicker.pick(g.r)].code
		ps := productsByCategory[cat]
		p := catalog[ps[g.r.IntN(len(ps))]]
		var ok []defect
		for _, d := range p.defects {
			if kind != weiquan.KindReport || reportable[d.problem] {
				ok = append(ok, d)
			}
		}
		if len(ok) > 0 {
			return p, ok[g.r.IntN(len(ok))]
		}
	}
}

// channel puts a case on the hotline that matches its subject some of the
// time (food and drugs on 12331, quality on 12365, prices on 12358,
// counterfeits on 12330) and otherwise on 12315, the web form or the API,
// which carry most cases.
func (g *Generator) channel(kind weiquan.Kind, category, problem string, goods bool) weiquan.Channel {
	var special weiquan.Channel
	switch {
	case problem == pPrice:
		special = weiquan.Channel12358
	case problem == pCounterfeit && goods:
		special = weiquan.Channel12330
	case category == "food" || category == "drugs" || category == "medical_devices" || category == "cosmetics" ||
		problem == pFoodSafety:
		special = weiquan.Channel12331
	case goods && (problem == pQuality || problem == pSafety):
		special = weiquan.Channel12365
	}
	x := g.r.IntN(100)
	if special != "" && x < 40 {
		return special
	}
	y := g.r.IntN(100)
	if kind == weiquan.KindInquiry {
		// Questions are mostly phoned in.
		switch {
		case y < 65:
			return weiquan.Channel12315
		case y < 92:
			return weiquan.ChannelWeb
		default:
			return weiquan.ChannelAPI
		}
	}
	switch {
	case y < 46:
		return weiquan.Channel12315
	case y < 88:
		return weiquan.ChannelWeb
	default:
		return weiquan.ChannelAPI
	}
}

func (g *Generator) source(ch weiquan.Channel, who weiquan.Complainant, at time.Time) weiquan.Source {
	switch {
	case ch.IsHotline():
		s := weiquan.Source{
			Type:   "hotline",
			CallID: string(ch) + "-" + at.Format("20060102") + "-" + pad(g.r.IntN(1000000), 6),
		}
		switch {
		case who.Anonymous || who.Phone == "":
			// The number was withheld.
		case g.r.IntN(10) == 0:
			// Called from a landline, gave the mobile for SMS.
			s.CallerNumber = g.landline(who.Address)
		default:
			s.CallerNumber = who.Phone
		}
		return s
	case ch == weiquan.ChannelWeb:
		return weiquan.Source{Type: "web"}
	default:
		return weiquan.Source{Type: "api"}
	}
}

// complainant: near the respondent most of the time (people complain about
// the shop down the road).
func (g *Generator) complainant(kind weiquan.Kind, anonymous bool, near county) weiquan.Complainant {
	if anonymous {
		return weiquan.Complainant{Anonymous: true}
	}
	var c weiquan.Complainant
	c.Name = g.personName()
	c.Phone = g.mobile()
	home := counties[countyPicker.pick(g.r)]
	if near.code != "" && g.r.IntN(100) < 70 {
		cp := cityPickers[near.cityCode]
		home = counties[cp.idx[cp.pick(g.r)]]
	}
	addr := g.address(home, false)
	switch kind {
	case weiquan.KindComplaint:
		if g.r.IntN(100) < 88 {
			c.Address = addr
		}
	case weiquan.KindReport:
		if g.r.IntN(100) < 50 {
			c.Address = addr
		}
	case weiquan.KindInquiry:
		// Callers with a quick question often do not give their name.
		if g.r.IntN(100) < 30 {
			c.Name = ""
		}
	}
	return c
}

func (g *Generator) personName() string {
	return surnames[surnamePicker.pick(g.r)].code + givenNames[g.r.IntN(len(givenNames))]
}

func (g *Generator) mobile() string {
	return mobilePrefixes[g.r.IntN(len(mobilePrefixes))] + pad(g.r.IntN(100000000), 8)
}

// landline is a number of the city in the address (Fuzhou when there is
// none): area code, dash, eight digits not starting with 0 or 1.
func (g *Generator) landline(address string) string {
	code := "0591"
	for _, ci := range cities {
		if strings.Contains(address, ci.short) {
			code = areaCodes[ci.code]
			break
		}
	}
	return code + "-" + strconv.Itoa(2+g.r.IntN(7)) + pad(g.r.IntN(10000000), 7)
}

func (g *Generator) demands(problem string, goods bool) []string {
	var cands []string
	for _, d := range demandsByProblem[problem] {
		if !goods && (d == "exchange" || d == "repair") {
			continue
		}
		cands = append(cands, d)
	}
	n := 1
	switch x := g.r.IntN(100); {
	case x >= 85:
		n = 3
	case x >= 50:
		n = 2
	}
	n = min(n, len(cands))
	first := 0
	if g.r.IntN(100) >= 70 {
		first = g.r.IntN(len(cands))
	}
	out := []string{cands[first]}
	rest := make([]string, 0, len(cands)-1)
	for i, d := range cands {
		if i != first {
			rest = append(rest, d)
		}
	}
	g.r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append(out, rest[:n-1]...)
}

func (g *Generator) consent(kind weiquan.Kind, anonymous bool) weiquan.Consent {
	if anonymous {
		return weiquan.Consent{}
	}
	switch kind {
	case weiquan.KindComplaint:
		return weiquan.Consent{SMS: g.r.IntN(100) < 92, Mediation: g.r.IntN(100) < 95, Arbitration: g.r.IntN(100) < 15}
	case weiquan.KindReport:
		return weiquan.Consent{SMS: g.r.IntN(100) < 80}
	default:
		return weiquan.Consent{SMS: g.r.IntN(100) < 60}
	}
}

// amount draws a price in the range and rounds it the way shops price
// things: 3599, 2980, 299, 39.9.
func (g *Generator) amount(minYuan, maxYuan int) int64 {
	if maxYuan < minYuan {
		maxYuan = minYuan
	}
	y := int64(minYuan + g.r.IntN(maxYuan-minYuan+1))
	switch {
	case y >= 1000:
		if g.r.IntN(2) == 0 {
			y = y/100*100 + 99
		} else {
			y = y / 10 * 10
		}
	case y >= 100:
		if g.r.IntN(2) == 0 {
			y = y/10*10 + 9
		} else {
			y = y / 10 * 10
		}
	default:
		if g.r.IntN(3) == 0 {
			return y*100 + 90
		}
	}
	return max(y, 1) * 100
}

// pattern fills a model pattern: '#' a digit, '@' a capital letter.
func (g *Generator) pattern(p string) string {
	const letters = "ABCDEFGHJKLMNPQRTUWXY"
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '#':
			b.WriteByte(byte('0' + g.r.IntN(10)))
		case '@':
			b.WriteByte(letters[g.r.IntN(len(letters))])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slots builds the replacer that fills a template for this case.
func (g *Generator) slots(c *weiquan.Case, p product, def defect, goods, online bool, purchased time.Time, used int) *strings.Replacer {
	item := c.Subject.Brand + p.name
	itemFull := item
	if c.Subject.Model != "" {
		itemFull = item + "（型号" + c.Subject.Model + "）"
	}
	verb := p.verb
	if verb == "" {
		verb = "购买"
	}
	sold := "销售"
	if !goods {
		sold = "提供"
	}
	r := c.Respondent
	seller, where := r.Name, "在"+r.Name
	if online {
		seller = r.Platform + "店铺“" + r.Shop + "”"
		where = "在" + seller
	}
	demands := make([]string, len(c.Demands))
	for i, d := range c.Demands {
		demands[i] = demandPhrase(d, p.category, def.problem, goods)
	}
	demand := "退款"
	if len(demands) > 0 {
		demand = demands[0]
	}
	law := lawByProblem[def.problem]
	if law == "" || g.r.IntN(3) == 0 {
		law = laws[g.r.IntN(len(laws))]
	}
	reply := g.r.IntN(len(replies) + len(goodsReplies))
	if !goods {
		reply = g.r.IntN(len(replies))
	}
	contact := contacts[g.r.IntN(len(contacts))]
	if online {
		contact = onlineContacts[g.r.IntN(len(onlineContacts))]
	}
	plabel, _ := weiquan.Lookup(weiquan.Vocabulary.Problems, def.problem)
	y, m, d := purchased.Date()
	return strings.NewReplacer(
		"{date}", strconv.Itoa(y)+"年"+strconv.Itoa(int(m))+"月"+strconv.Itoa(d)+"日",
		"{md}", strconv.Itoa(int(m))+"月"+strconv.Itoa(d)+"日",
		"{n}", strconv.Itoa(used),
		"{wait}", waits[g.r.IntN(len(waits))],
		"{where}", where,
		"{seller}", seller,
		"{company}", r.Name,
		"{raddr}", r.Address,
		"{verb}", verb,
		"{sold}", sold,
		"{itemfull}", itemFull,
		"{item}", item,
		"{product}", p.name,
		"{amount}", yuan(c.Subject.AmountFen),
		"{defect}", def.text,
		"{plabel}", plabel.Label,
		"{offence}", reportPhrase[def.problem],
		"{demands}", strings.Join(demands, "、"),
		"{demand}", demand,
		"{reply}", pickReply(reply),
		"{contact}", contact,
		"{law}", law,
		"{platform}", r.Platform,
		"{shop}", r.Shop,
	)
}

func demandPhrase(code, category, problem string, goods bool) string {
	switch {
	case code == "punitive_compensation" && (category == "food" || category == "drugs" || problem == pFoodSafety):
		return punitiveFood
	case code == "refund" && !goods:
		return refundService
	}
	return demandText[code]
}

// template picks one of the templates that fit the case.
func (g *Generator) template(ts []tmpl, goods, online bool, problem string) tmpl {
	fit := make([]tmpl, 0, len(ts))
	for _, t := range ts {
		if t.fits(goods, online, problem) {
			fit = append(fit, t)
		}
	}
	return fit[g.r.IntN(len(fit))]
}

func shortTitle(fill *strings.Replacer, t string) string {
	t = fill.Replace(t)
	if utf8.RuneCountInString(t) > maxTitleRunes {
		// A long business name or defect: fall back to the shortest form.
		t = fill.Replace("{product}{plabel}问题")
	}
	return t
}

// corpusText takes a real text as the description. Very short ones ("太差了")
// get a templated sentence in front so that the case still says what was
// bought and where.
func (g *Generator) corpusText(fill *strings.Replacer, kind weiquan.Kind) string {
	text := clean(g.corpus[g.r.IntN(len(g.corpus))])
	if utf8.RuneCountInString(text) < minCorpusRunes {
		lead := "{date}{where}{verb}了{itemfull}，金额{amount}元。"
		if kind == weiquan.KindReport {
			lead = "举报{seller}：{date}{verb}{item}，金额{amount}元。"
		}
		text = fill.Replace(lead) + text
	}
	if r := []rune(text); len(r) > maxDescriptionRunes {
		text = string(r[:maxDescriptionRunes])
	}
	return text
}

// clean makes an outside text fit for a description in the form intake
// keeps: line ends as LF, no byte-order marks, zero-width or bidi-override
// characters, other control characters as spaces, no surrounding space.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r', r == '\u2028', r == '\u2029':
			return '\n'
		case r == '\n', r == '\t':
			return r
		case r == '\uFEFF', r == '\u200B', r == '\u2060',
			r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return -1
		case unicode.IsControl(r), r == utf8.RuneError:
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func pickReply(i int) string {
	if i < len(replies) {
		return replies[i]
	}
	return goodsReplies[i-len(replies)]
}

func isGoods(category string) bool {
	t, _ := weiquan.Lookup(weiquan.Vocabulary.Categories, category)
	return t.Group == "goods"
}

// yuan formats fen as people write prices: 3599, 39.9, 12.05.
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	if f := fen % 100; f != 0 {
		s += "." + strings.TrimSuffix(pad(int(f), 2), "0")
	}
	return s
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// picker draws an index with probability proportional to its weight.
type picker struct {
	cum []int
	idx []int // optional: what each position stands for
}

func newPicker(weights []int) picker {
	p := picker{cum: make([]int, len(weights))}
	total := 0
	for i, w := range weights {
		total += w
		p.cum[i] = total
	}
	return p
}

func (p picker) pick(r *rand.Rand) int {
	x := r.IntN(p.cum[len(p.cum)-1])
	return sort.Search(len(p.cum), func(i int) bool { return p.cum[i] > x })
}

var (
	categoryPicker = func() picker {
		w := make([]int, len(categoryWeights))
		for i, c := range categoryWeights {
			w[i] = c.weight
		}
		return newPicker(w)
	}()
	surnamePicker = func() picker {
		w := make([]int, len(surnames))
		for i, s := range surnames {
			w[i] = s.weight
		}
		return newPicker(w)
	}()
	// productsByCategory holds catalog indexes, in catalog order.
	productsByCategory = func() map[string][]int {
		m := map[string][]int{}
		for i, p := range catalog {
			m[p.category] = append(m[p.category], i)
		}
		return m
	}()
)

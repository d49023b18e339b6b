package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// The search box against a brute-force scan: generated leads with Cyrillic
// and Latin names (ё and Ё among them), emails in any case and phones sent
// in many formats; queries cut from them, in other cases, with ё and е
// swapped, typed as phones are typed. Each query's answer, read page by
// page, must be exactly the leads a scan in Go finds — before and after
// edits, deletions, a client's deletion, and a rebuild of the index by its
// migration over existing leads.

var (
	genFirst = []string{"Иван", "Семён", "Пётр", "Алёна", "Фёдор", "Мария", "Ольга", "ЁЖИК", "John", "Anna",
		"Jörg", "Ivan", "Артём", "Елена", "o'Brien", "Зоя_100%"}
	genLast = []string{"Ёлкин", "Елкин", "Королёв", "Королев", "Петров", "ПЕТРОВА", "Smith", "Müller", "Иванов",
		"ivanov", "Орлов-Ёжиков", "Сёмин", "Brown Ёж", "Ли"}
	genDomains = []string{"mail.ru", "Yandex.RU", "gmail.com", "example.com", "почта.рф"}
)

// genPhone returns a phone as a sender might type it, and its normal form.
func genPhone(r *rand.Rand, normalize func(string) (string, bool)) (typed, normal string) {
	var d string
	if r.IntN(6) == 0 {
		d = fmt.Sprintf("4420%08d", r.IntN(100_000_000)) // a London number
	} else {
		d = fmt.Sprintf("79%02d%07d", r.IntN(3), r.IntN(40)*1234567%10_000_000) // repeats
	}
	switch r.IntN(5) {
	case 0:
		typed = "+" + d
	case 1:
		typed = "+" + d[:1] + " (" + d[1:4] + ") " + d[4:7] + "-" + d[7:9] + "-" + d[9:]
	case 2:
		if d[0] == '7' {
			typed = "8 " + d[1:4] + " " + d[4:7] + " " + d[7:9] + " " + d[9:]
		} else {
			typed = "+" + d
		}
	case 3:
		typed = "+" + d[:2] + "-" + d[2:5] + "-" + d[5:]
	default:
		typed = "+" + d[:1] + "." + d[1:4] + "." + d[4:]
	}
	normal, ok := normalize(typed)
	if !ok {
		panic("generated phone does not read: " + typed)
	}
	return typed, normal
}

// genInput returns a generated lead's name and contacts.
func genInput(r *rand.Rand, i int, normalize func(string) (string, bool)) lead.Input {
	var in lead.Input
	name := genFirst[r.IntN(len(genFirst))] + " " + genLast[r.IntN(len(genLast))]
	switch r.IntN(8) {
	case 0:
		name = strings.ToUpper(name)
	case 1:
		name = strings.ToLower(name)
	case 2:
		name = ""
	}
	if name != "" {
		in.Name = &name
	}
	if r.IntN(5) > 0 {
		_, p := genPhone(r, normalize)
		in.Phone = &p
	}
	if in.Phone == nil || r.IntN(3) > 0 {
		e := fmt.Sprintf("%s.%s%d@%s", genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))], i%50,
			genDomains[r.IntN(len(genDomains))])
		e = strings.NewReplacer(" ", "", "'", "", "%", "").Replace(e)
		if r.IntN(2) == 0 {
			e = strings.ToLower(e)
		}
		in.Email = &e
	}
	return in
}

// fold is the search's notion of the same letters, written here apart from
// the store's: any case, «ё» as «е».
func fold(s string) string { return strings.ReplaceAll(strings.ToLower(s), "ё", "е") }

// bruteForce returns the ids of ls that the filter's search selects, newest
// first, by reading every lead.
func bruteForce(ls map[int64]lead.Lead, f store.LeadFilter) []int64 {
	var ids []int64
	for id, l := range ls {
		phone, name, email := val(l.Phone), fold(val(l.Name)), fold(val(l.Email))
		ok := true
		switch {
		case f.Phone != "":
			ok = phone == f.Phone
		case f.Digits != "":
			ok = strings.Contains(phone, f.Digits)
		case f.Text != "":
			t := fold(f.Text)
			ok = strings.Contains(name, t) || strings.Contains(email, t)
		}
		if ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids
}

func val(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// searchQueries cuts queries from the leads: parts of names and emails in
// other cases and with ё and е swapped, parts of phones as typed, whole
// phones in other formats, and a few that match nothing or everything.
func searchQueries(r *rand.Rand, ls []lead.Lead) []string {
	qs := []string{"ё", "е", "Ё", "ЕЛКИН", "елкин", "ёлкин", "семен", "СЕМЁН", "ivan", "IVAN", "Ivan Иванов", "ivan иванов",
		"jörg", "JÖRG", "müller", "%", "_", "100%", "зоя_1", "o'b", "'", "@", ".ru", "почта.рф", "ПОЧТА", "ли", "Brown ёж",
		"brown еж", "\"", "a\"b", "\"\"\"", "зоя_1\"", "qqqq", "ёёё", "жик п", "123", "999", "4420", "(920) 1", "+44 20", "00000000000"}
	cut := func(s string) string {
		rs := []rune(s)
		if len(rs) == 0 {
			return ""
		}
		i := r.IntN(len(rs))
		j := min(len(rs), i+1+r.IntN(8))
		return string(rs[i:j])
	}
	mangle := func(s string) string {
		switch r.IntN(4) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = strings.NewReplacer("е", "ё", "Е", "Ё").Replace(s)
		case 2:
			s = strings.NewReplacer("ё", "е", "Ё", "Е").Replace(s)
		}
		return s
	}
	for _, l := range ls {
		if len(qs) > 250 {
			break
		}
		if l.Name != nil {
			qs = append(qs, mangle(cut(*l.Name)))
		}
		if l.Email != nil {
			qs = append(qs, mangle(cut(*l.Email)))
		}
		if l.Phone != nil {
			p := *l.Phone
			i := r.IntN(len(p) - 3)
			part := p[i : i+3+r.IntN(len(p)-i-2)]
			if len(part) > 4 {
				part = part[:2] + "-" + part[2:]
			}
			qs = append(qs, part, "+"+p, "8"+p[1:], "("+p[1:4]+") "+p[4:])
		}
	}
	return qs
}

// allPages reads every page of the filter's leads, 20 at a time.
func allPages(t *testing.T, f fixture, lf store.LeadFilter) []int64 {
	t.Helper()
	var ids []int64
	lf.Limit = 20
	for range 10_000 {
		page := f.list(t, lf)
		ids = append(ids, leadIDs(page)...)
		if len(page) < lf.Limit {
			return ids
		}
		lf.Before = page[len(page)-1].ID
	}
	t.Fatal("paging never ended")
	return nil
}

func TestSearchMatchesBruteForce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		normalize := intake.New("RU").NormalizePhone
		f := newFixture(t, engine)
		o := f.other(t)
		r := rand.New(rand.NewPCG(18, 1))
		const n = 400
		inputs := make([]lead.Input, n)
		for i := range inputs {
			inputs[i] = genInput(r, i, normalize)
		}
		// Added concurrently, so the pipeline writes them in groups; every
		// fifth goes to the other account, whose leads must never be found.
		created := make([]lead.Lead, n)
		var wg sync.WaitGroup
		var errs [n]error
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					acct := f.acc.ID
					if i%5 == 4 {
						acct = o.acc.ID
					}
					created[i], errs[i] = f.s.AddLead(ctx, store.NewLead{AccountID: acct, Input: inputs[i]})
				}
			}()
		}
		wg.Wait()
		mine := map[int64]lead.Lead{}
		var ordered []lead.Lead
		for i, l := range created {
			if errs[i] != nil {
				t.Fatalf("AddLead %d: %v", i, errs[i])
			}
			if l.AccountID == f.acc.ID {
				mine[l.ID] = l
				ordered = append(ordered, l)
			}
		}
		queries := searchQueries(r, ordered)

		check := func(t *testing.T, stage string) {
			t.Helper()
			kinds := map[string]int{}
			for _, q := range queries {
				var lf store.LeadFilter
				lf.Search(q, normalize)
				switch {
				case lf.Phone != "":
					kinds["phone"]++
				case lf.Digits != "":
					kinds["digits"]++
				case utf8.RuneCountInString(lf.Text) < 3:
					kinds["short text"]++
				default:
					kinds["text"]++
				}
				got, want := allPages(t, f, lf), bruteForce(mine, lf)
				if !slices.Equal(got, want) {
					t.Errorf("%s: q=%q (%+v): %d leads %v, want %d %v", stage, q, lf, len(got), got, len(want), want)
				}
			}
			for k, n := range kinds {
				if n < 5 {
					t.Fatalf("%s: only %d queries of kind %s: %v", stage, n, k, kinds)
				}
			}
		}
		check(t, "created")

		// Edits: names, phones and emails changed, cleared and set; leads
		// deleted; a client linked and deleted.
		client, err := f.s.CreateClient(ctx, lead.Client{AccountID: f.acc.ID, Name: "Клиент"})
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for id, l := range mine {
			k++
			switch k % 7 {
			case 0:
				in := genInput(r, k, normalize)
				if in.Phone == nil && in.Email == nil {
					continue
				}
				l, err = f.s.UpdateLead(ctx, f.acc.ID, nil, id, store.LeadPatch{Input: in, Present: []string{"name", "phone", "email"}})
			case 1:
				l, err = f.s.UpdateLead(ctx, f.acc.ID, nil, id, store.LeadPatch{Input: lead.Input{Name: ptr("Новое Имя Ёфремов " + fmt.Sprint(k))}, Present: []string{"name"}})
			case 2:
				if l.Email == nil {
					continue
				}
				l, err = f.s.UpdateLead(ctx, f.acc.ID, nil, id, store.LeadPatch{Present: []string{"name", "phone"}})
			case 3:
				err = f.s.DeleteLead(ctx, f.acc.ID, nil, id)
				delete(mine, id)
				if err != nil {
					t.Fatal(err)
				}
				continue
			case 4:
				l, err = f.s.SetLeadClient(ctx, f.acc.ID, nil, id, &client.ID)
			default:
				continue
			}
			if err != nil {
				t.Fatalf("edit lead %d (%d): %v", id, k%7, err)
			}
			mine[id] = l
		}
		if err := f.s.DeleteClient(ctx, f.acc.ID, nil, client.ID); err != nil {
			t.Fatal(err)
		}
		for id := range mine {
			mine[id] = f.get(t, id)
		}
		check(t, "edited")

		// The migration builds the index over the leads already there.
		if engine == "sqlite" {
			exec(t, f.s, "DROP TRIGGER leads_search_insert")
			exec(t, f.s, "DROP TRIGGER leads_search_update")
			exec(t, f.s, "DROP TRIGGER leads_search_delete")
			exec(t, f.s, "DROP TABLE leads_search")
		} else {
			exec(t, f.s, "DROP INDEX leads_search")
		}
		exec(t, f.s, "DELETE FROM schema_migrations WHERE name = '0011_search.sql'")
		if applied, err := f.s.Migrate(ctx); err != nil || !slices.Equal(applied, []string{"0011_search.sql"}) {
			t.Fatalf("migrate again: %v %v", applied, err)
		}
		check(t, "rebuilt by the migration")
	})
}

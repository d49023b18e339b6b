package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"leadbox/internal/password"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// seedRequest is the seed page's example request as the page writes it,
// with the owner to fill in.
const seedRequest = `  {
  "name": "test",
  "phone": 79998888888,
  "email": "fff@mail.ru",
  "userIdOwner": %d
  }`

// TestSeedExample does what the seed page tells a user to do: create a
// webhook source, take its URL, post the example request, and get the
// example answer.
func TestSeedExample(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		srv := startServer(t, dsn, env)

		var src sourceOut
		cliJSON(t, env, &src, "source", "create", "--name", "Сайт", "--db", dsn, "--base-url", srv.url)
		if src.ID <= 0 || src.Name != "Сайт" || src.Type != "webhook" || !src.Enabled {
			t.Fatalf("source create printed %+v", src)
		}
		token, ok := strings.CutPrefix(src.URL, srv.url+"/hooks/")
		if !ok || len(token) < 22 || !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(token) {
			t.Fatalf("url %q: want %s/hooks/ and a URL-safe token of at least 128 bits", src.URL, srv.url)
		}
		owner := adminID(t, env, dsn)
		if engine == "sqlite" && owner != 1 {
			t.Errorf("the bootstrap admin of a fresh SQLite database is user %d, want 1 (the seed's userIdOwner)", owner)
		}

		// A new account has a funnel; the lead starts at its first stage.
		var stages []struct{ ID int64 }
		cliJSON(t, env, &stages, "stage", "list", "--db", dsn)
		if len(stages) != 5 {
			t.Fatalf("a new account has %d stages, want the default funnel's 5", len(stages))
		}

		before := time.Now().Unix()
		data := leadData(t, post(t, client, src.URL, fmt.Sprintf(seedRequest, owner)))
		after := time.Now().Unix()
		want := map[string]string{"name": `"test"`, "sourceId": webtest.ID(src.ID), "phone": `"79998888888"`,
			"email": `"fff@mail.ru"`, "userIdOwner": webtest.ID(owner), "otherCount": "0", "funnelStageId": webtest.ID(stages[0].ID)}
		for _, k := range leadKeys {
			switch k {
			case "id":
				if intOf(t, k, data[k]) <= 0 {
					t.Errorf("id = %s", data[k])
				}
			case "dtCreate", "dtUpdate":
				if ts := intOf(t, k, data[k]); ts < before || ts > after {
					t.Errorf("%s = %d, want unix seconds in [%d, %d]", k, ts, before, after)
				}
			default:
				w, ok := want[k]
				if !ok {
					w = "null"
				}
				if string(data[k]) != w {
					t.Errorf("%s = %s, want %s", k, data[k], w)
				}
			}
		}
		if err := srv.stop(); err != nil {
			t.Fatal(err)
		}
		if out := srv.stdout.String(); !strings.Contains(out, "leadbox: stopped") {
			t.Errorf("no \"stopped\" line after shutdown:\n%s", out)
		}
	})
}

// TestCLI drives the administrative commands against a running server and
// checks their effect on the webhook.
func TestCLI(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		srv := startServer(t, dsn, env)
		cmd := func(args ...string) []string { return append(args, "--db", dsn, "--base-url", srv.url) }

		var src sourceOut
		cliJSON(t, env, &src, cmd("source", "create", "--name", "Лендинг")...)

		t.Run("source list", func(t *testing.T) {
			wantCreatedLead(t, post(t, client, src.URL, `{"phone": "79990000001"}`))
			var list []sourceOut
			cliJSON(t, env, &list, cmd("source", "list")...)
			if len(list) != 1 {
				t.Fatalf("source list: %+v", list)
			}
			got := list[0]
			if got.ID != src.ID || got.URL != src.URL || got.Name != "Лендинг" || got.Type != "webhook" || !got.Enabled ||
				got.Leads == nil || *got.Leads != 1 || got.LastLead == nil {
				t.Fatalf("source list: %+v, want %+v with one lead", got, src)
			}
		})

		t.Run("source rotate", func(t *testing.T) {
			var rotated sourceOut
			cliJSON(t, env, &rotated, cmd("source", "rotate", "--id", webtest.ID(src.ID))...)
			if rotated.ID != src.ID || rotated.URL == src.URL || !strings.HasPrefix(rotated.URL, srv.url+"/hooks/") {
				t.Fatalf("rotate printed %+v (was %s)", rotated, src.URL)
			}
			wantStatus(t, post(t, client, src.URL, `{"phone": "79990000002"}`), 404)
			wantCreatedLead(t, post(t, client, rotated.URL, `{"phone": "79990000002"}`))
			src = rotated
		})

		t.Run("source disable and enable", func(t *testing.T) {
			var s sourceOut
			cliJSON(t, env, &s, cmd("source", "disable", "--id", webtest.ID(src.ID))...)
			if s.Enabled || s.ID != src.ID {
				t.Fatalf("disable printed %+v", s)
			}
			wantStatus(t, post(t, client, src.URL, `{"phone": "79990000003"}`), 410)
			cliJSON(t, env, &s, cmd("source", "enable", "--id", webtest.ID(src.ID))...)
			if !s.Enabled || s.URL != src.URL {
				t.Fatalf("enable printed %+v", s)
			}
			wantCreatedLead(t, post(t, client, src.URL, `{"phone": "79990000003"}`))
		})

		t.Run("source log", func(t *testing.T) {
			var log []struct {
				Status int    `json:"status"`
				Body   string `json:"body"`
				LeadID *int64 `json:"leadId"`
			}
			cliJSON(t, env, &log, cmd("source", "log", "--id", webtest.ID(src.ID))...)
			var statuses []int
			for _, d := range log {
				statuses = append(statuses, d.Status)
			}
			// Newest first; the 404 to the old URL names no source.
			if !slices.Equal(statuses, []int{201, 410, 201, 201}) || log[0].Body != `{"phone": "79990000003"}` || log[0].LeadID == nil {
				t.Fatalf("source log: %+v", log)
			}
		})

		t.Run("reference data and users", func(t *testing.T) {
			var office, city struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			}
			cliJSON(t, env, &office, cmd("office", "create", "--name", "Офис на Тверской")...)
			cliJSON(t, env, &city, cmd("city", "create", "--name", "Москва")...)
			var stage struct {
				ID       int64  `json:"id"`
				Name     string `json:"name"`
				Position int    `json:"position"`
				Color    string `json:"color"`
			}
			cliJSON(t, env, &stage, cmd("stage", "create", "--name", "Новый", "--color", "#3b82f6")...)
			if office.ID <= 0 || office.Name != "Офис на Тверской" || city.ID <= 0 || city.Name != "Москва" ||
				stage.ID <= 0 || stage.Position != 6 || stage.Color != "#3b82f6" { // after the default funnel's five
				t.Fatalf("created office %+v city %+v stage %+v", office, city, stage)
			}
			var user userOut
			cliJSON(t, env, &user, cmd("user", "create", "--email", "manager@example.com", "--name", "Менеджер", "--role", "manager")...)
			if user.ID <= 0 || user.Role != "manager" || !user.Active || user.Email != "manager@example.com" || len(user.Password) < 8 {
				t.Fatalf("user create printed %+v", user)
			}
			if _, err := cli(t, env, cmd("user", "create", "--email", "MANAGER@example.com")...); err == nil {
				t.Fatal("a second user with the same email was created")
			}
			// A lost password: a new one, generated or given, in any case of the email.
			var reset userOut
			cliJSON(t, env, &reset, cmd("user", "password", "--email", "MANAGER@example.com")...)
			if reset.ID != user.ID || len(reset.Password) < 8 || reset.Password == user.Password {
				t.Fatalf("user password printed %+v", reset)
			}
			wantPassword(t, dsn, "manager@example.com", reset.Password)
			var given userOut
			cliJSON(t, env, &given, cmd("user", "password", "--email", "manager@example.com", "--password", "новый пароль 2026")...)
			if given.ID != user.ID || given.Password != "" {
				t.Fatalf("user password --password printed %+v", given)
			}
			wantPassword(t, dsn, "manager@example.com", "новый пароль 2026")
			if _, err := cli(t, env, cmd("user", "password", "--email", "nobody@example.com")...); err == nil {
				t.Fatal("user password for an unknown email succeeded")
			}
			for c, n := range map[string]int{"office": 1, "city": 1, "stage": 6} {
				var list []struct{ ID int64 }
				cliJSON(t, env, &list, cmd(c, "list")...)
				if len(list) != n {
					t.Fatalf("%s list: %+v, want %d", c, list, n)
				}
			}

			body := fmt.Sprintf(`{"phone": "79990000004", "userIdOwner": %d, "locationUnitId": %d, "locationCityId": %d, "funnelStageId": %d}`,
				user.ID, office.ID, city.ID, stage.ID)
			data := wantCreatedLead(t, post(t, client, src.URL, body))
			for k, v := range map[string]int64{"userIdOwner": user.ID, "locationUnitId": office.ID, "locationCityId": city.ID, "funnelStageId": stage.ID} {
				if intOf(t, k, data[k]) != v {
					t.Errorf("%s = %s, want %d", k, data[k], v)
				}
			}

			var withDefaults sourceOut
			cliJSON(t, env, &withDefaults, cmd("source", "create", "--name", "С умолчаниями", "--owner", webtest.ID(user.ID),
				"--stage", webtest.ID(stage.ID), "--office", webtest.ID(office.ID), "--city", webtest.ID(city.ID))...)
			data = wantCreatedLead(t, post(t, client, withDefaults.URL, `{"phone": "79990000005"}`))
			for k, v := range map[string]int64{"userIdOwner": user.ID, "locationUnitId": office.ID, "locationCityId": city.ID,
				"funnelStageId": stage.ID, "sourceId": withDefaults.ID} {
				if intOf(t, k, data[k]) != v {
					t.Errorf("default %s = %s, want %d", k, data[k], v)
				}
			}
		})

		t.Run("errors", func(t *testing.T) {
			for _, args := range [][]string{
				{"frobnicate"},
				{"frobnicate", "--db", dsn},
				{"source"},
				{"source", "frobnicate", "--db", dsn},
				{"source", "rotate", "--db", dsn},
				{"source", "create", "--db", dsn},
				{"source", "create", "--name", "X", "--db", dsn, "stray"},
				{"source", "create", "--name", "X", "--db", dsn, "--account", "999999"},
				{"source", "list", "--db", dsn, "--account", "999999"},
				{"source", "rotate", "--id", "999999", "--db", dsn},
				{"source", "create", "--name", "X", "--owner", "999999", "--db", dsn},
				{"source", "create", "--name", "X", "--owner", "-1", "--db", dsn},
				{"source", "create", "--name", "X", "--type", "fax", "--db", dsn},
				{"user", "create", "--email", "bad", "--db", dsn},
				{"user", "create", "--email", "x@example.com", "--role", "root", "--db", dsn},
				{"user", "create", "--email", "y@example.com", "--password", "short", "--db", dsn},
				{"office", "create", "--db", dsn},
				{"serve", "--frobnicate"},
			} {
				var stdout, stderr strings.Builder
				if err := run(context.Background(), args, env, &stdout, &stderr); err == nil {
					t.Errorf("leadbox %s: no error; stdout %s", strings.Join(args, " "), stdout.String())
				}
			}
			var list []sourceOut
			cliJSON(t, env, &list, cmd("source", "list")...)
			if len(list) != 2 {
				t.Errorf("failed commands left sources behind: %+v", list)
			}
		})
	})
}

// wantPassword fails unless pass is the password of the user with email in dsn.
func wantPassword(t *testing.T, dsn, email, pass string) {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := password.Check(pass, u.PasswordHash); !ok || err != nil {
		t.Fatalf("%s's password is not %q (%v)", email, pass, err)
	}
}

func wantCreatedLead(t *testing.T, r response) map[string]json.RawMessage {
	t.Helper()
	return leadData(t, r)
}

// TestMigrate runs `leadbox migrate` twice on a fresh database: the first run
// applies the migrations, the second applies nothing.
func TestMigrate(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		out, err := cli(t, env, "migrate", "--db", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "leadbox: applied migration 0001_") || !strings.Contains(out, "up to date") {
			t.Fatalf("first migrate:\n%s", out)
		}
		out, err = cli(t, env, "migrate", "--db", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "applied migration") || !strings.Contains(out, "up to date") {
			t.Fatalf("second migrate applied something:\n%s", out)
		}
		// A server on the migrated database applies nothing either.
		srv := startServer(t, dsn, env)
		if strings.Contains(srv.stdout.String(), "applied migration") {
			t.Fatalf("serve re-applied migrations:\n%s", srv.stdout)
		}
	})
}

// TestFirstStart checks what the first start tells the operator, with the
// admin password given and generated, and that later starts say nothing.
func TestFirstStart(t *testing.T) {
	t.Run("password from the environment", func(t *testing.T) {
		dsn := storetest.DSN(t, "sqlite")
		env := environ(map[string]string{"LEADBOX_ADMIN_PASSWORD": adminPassword, "LEADBOX_ADMIN_EMAIL": "boss@example.com",
			"LEADBOX_BASE_URL": "https://crm.example.com"})
		srv := startServer(t, dsn, env)
		out := srv.stdout.String()
		if !strings.Contains(out, "log in at https://crm.example.com as boss@example.com") ||
			!strings.Contains(out, "LEADBOX_ADMIN_PASSWORD") || strings.Contains(out, adminPassword) {
			t.Fatalf("first start output:\n%s", out)
		}
		checkPassword(t, dsn, "boss@example.com", adminPassword)
		if err := srv.stop(); err != nil {
			t.Fatal(err)
		}
		again := startServer(t, dsn, env)
		if out := again.stdout.String(); strings.Contains(out, "log in") || strings.Contains(out, "created account") {
			t.Fatalf("second start repeats the first-start message:\n%s", out)
		}
	})
	t.Run("generated password", func(t *testing.T) {
		dsn := storetest.DSN(t, "sqlite")
		env := environ(map[string]string{})
		srv := startServer(t, dsn, env)
		out := srv.stdout.String()
		m := regexp.MustCompile(`log in at \S+ as admin@localhost with password (\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("first start does not print the generated password:\n%s", out)
		}
		checkPassword(t, dsn, "admin@localhost", m[1])
		if err := srv.stop(); err != nil {
			t.Fatal(err)
		}
		again := startServer(t, dsn, env)
		if out := again.stdout.String(); strings.Contains(out, m[1]) || strings.Contains(out, "log in") {
			t.Fatalf("second start prints the password again:\n%s", out)
		}
	})
	t.Run("an admin command on an empty database keeps stdout for its JSON", func(t *testing.T) {
		dsn := storetest.DSN(t, "sqlite")
		var src sourceOut
		cliJSON(t, environ(map[string]string{}), &src, "source", "create", "--name", "Сайт", "--db", dsn)
		if src.ID <= 0 || !strings.HasPrefix(src.URL, "http://localhost:8080/hooks/") {
			t.Fatalf("source create on an empty database printed %+v", src)
		}
	})
}

func checkPassword(t *testing.T, dsn, email, pass string) {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("admin %s: %v", email, err)
	}
	if ok, _, err := password.Check(pass, u.PasswordHash); !ok || err != nil || u.Role != "admin" {
		t.Fatalf("admin %s (role %s): the printed password does not log in (%v)", email, u.Role, err)
	}
}

// TestConcurrentDuplicates posts one new phone, written three ways, 64 times
// at once: exactly one lead is first and every other points to it, with
// otherCount 0..63. On PostgreSQL two servers share the database and the
// requests alternate between them.
func TestConcurrentDuplicates(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		const n = 64
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		servers := []*instance{launch(t, dsn, env)}
		if engine == "postgres" {
			servers = append(servers, launch(t, dsn, env)) // both start on an empty database at once
		}
		for _, s := range servers {
			s.waitListening(t)
		}
		var accounts []struct{ ID int64 }
		cliJSON(t, env, &accounts, "account", "list", "--db", dsn)
		if len(accounts) != 1 {
			t.Fatalf("%d servers starting at once created %d accounts", len(servers), len(accounts))
		}
		var src sourceOut
		cliJSON(t, env, &src, "source", "create", "--name", "Сайт", "--db", dsn, "--base-url", "http://unused")
		token := strings.TrimPrefix(src.URL, "http://unused/hooks/")

		phones := []string{"+7 (999) 123-45-67", "8 999 123 45 67", "79991234567"}
		tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		start := make(chan struct{})
		answers := make([]response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				url := servers[i%len(servers)].url + "/hooks/" + token
				body := fmt.Sprintf(`{"name": "Гонка %d", "phone": %q}`, i, phones[i%len(phones)])
				<-start
				answers[i], errs[i] = send(c, url, body)
			}()
		}
		close(start)
		wg.Wait()

		var first int64
		ids := map[int64]bool{}
		firstIDs := make([]string, n)
		var counts []int64
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			data := leadData(t, r)
			lid := intOf(t, "id", data["id"])
			if ids[lid] {
				t.Fatalf("id %d answered twice", lid)
			}
			ids[lid] = true
			if string(data["phone"]) != `"79991234567"` {
				t.Fatalf("phone %s, want 79991234567", data["phone"])
			}
			counts = append(counts, intOf(t, "otherCount", data["otherCount"]))
			firstIDs[i] = string(data["firstId"])
			if firstIDs[i] == "null" {
				if first != 0 {
					t.Fatalf("leads %d and %d both have firstId null", first, lid)
				}
				first = lid
				if counts[i] != 0 {
					t.Fatalf("the first lead has otherCount %d", counts[i])
				}
			}
		}
		if first == 0 {
			t.Fatal("no lead has firstId null")
		}
		for i, f := range firstIDs {
			if f != "null" && f != webtest.ID(first) {
				t.Fatalf("answer %d has firstId %s, want %d", i, f, first)
			}
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != int64(i) {
				t.Fatalf("otherCount values %v, want 0..%d", counts, n-1)
			}
		}
	})
}

// TestGracefulShutdown cancels the server's context while requests are in
// flight (held in the store by a lock): each of them still gets its 201, a
// request after the cancel is refused, run returns nil, and every 201 is in
// the database.
func TestGracefulShutdown(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		const n = 20
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		srv := startServer(t, dsn, env)
		var src sourceOut
		cliJSON(t, env, &src, "source", "create", "--name", "Сайт", "--db", dsn, "--base-url", srv.url)

		tr := &http.Transport{MaxIdleConnsPerHost: n}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}

		release := storetest.HoldWrites(t, engine, dsn)
		start := make(chan struct{})
		var completed atomic.Int32
		answers := make([]response, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i], errs[i] = send(c, src.URL, fmt.Sprintf(`{"phone": "7999000%04d"}`, i))
				completed.Add(1)
			}()
		}
		close(start)
		time.Sleep(500 * time.Millisecond) // every request reaches the store and waits there

		stopped := make(chan error, 1)
		go func() { stopped <- srv.stop() }()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(srv.stdout.String(), "shutting down") {
			if time.Now().After(deadline) {
				t.Fatalf("no shutdown message after cancel:\n%s", srv.stdout)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		late := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
		if r, err := send(late, src.URL, `{"phone": "79990009999"}`); err == nil {
			t.Errorf("a request after shutdown began got %d %s, want the connection refused", r.status, r.body)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("a request after shutdown began: %v, want the connection refused", err)
		}
		if k := completed.Load(); k != 0 {
			t.Fatalf("%d of %d requests in flight ended while the store still held them: the shutdown dropped them", k, n)
		}
		select {
		case err := <-stopped:
			t.Fatalf("run returned (%v) with %d requests in flight", err, n)
		default:
		}

		release()
		wg.Wait()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		var created []int64
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatalf("request %d, in flight at shutdown: %v", i, errs[i])
			}
			created = append(created, intOf(t, "id", leadData(t, r)["id"]))
		}

		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		accts, err := s.ListAccounts(context.Background())
		if err != nil || len(accts) != 1 {
			t.Fatalf("accounts %v %v", accts, err)
		}
		for _, lid := range created {
			if _, err := s.GetLead(context.Background(), accts[0].ID, lid); err != nil {
				t.Errorf("lead %d answered 201 but is not in the database: %v", lid, err)
			}
		}
		if count, err := s.CountLeads(context.Background(), accts[0].ID); err != nil || count != n {
			t.Errorf("%d leads in the database, want %d (%v)", count, n, err)
		}
	})
}

package intake

import (
	"strings"
	"sync"
	"testing"
	"time"

	"leadbox/internal/lead"
)

const requiredJSON = `{"errors":{"phone":["Поле Телефон обязательно для заполнения."]}}`

func TestDecodeJSON(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "OKSeedExample", body: "{\n  \"name\": \"test\",\"phone\": 79998888888,\"email\": \"fff@mail.ru\",\"userIdOwner\": 1\n  }",
			want: lead.Input{Name: sp("test"), Phone: sp(phone), Email: sp("fff@mail.ru"), UserIDOwner: ip(1)}},
		{name: "OKByteOrderMark", body: "\xef\xbb\xbf{\"phone\":\"79998888888\"}", want: lead.Input{Phone: sp(phone)}},
		{name: "OKWhitespaceAround", body: " \r\n\t{\"phone\":\"79998888888\"} \n", want: lead.Input{Phone: sp(phone)}},
		{name: "OKEmailOnly", body: `{"email":"Ivan@Mail.RU"}`, want: lead.Input{Email: sp("Ivan@Mail.RU")}},
		{name: "OKEscapedValue", body: `{"phone":"\u002b7 999 888 88 88","name":"\u0418\u0432\u0430\u043d \"Vanya\""}`,
			want: lead.Input{Phone: sp(phone), Name: sp(`Иван "Vanya"`)}},
		{name: "OKAllFields", body: `{"name":"Иван","phone":"+7 (999) 888-88-88","email":"a@b.ru","userIdOwner":1,"sourceId":"2",
			"remoteId":-3,"locationUnitId":4,"locationCityId":5.0,"funnelStageId":6,"cost":"0","utmSource":"ya","utmMedium":"cpc",
			"utmCampaign":"c","utmContent":"d","utmTerm":"e","utmReferrer":"f","openstatService":"g","openstatCampaign":"h",
			"openstatAd":"i","openstatSource":"j","from":"k","yclid":123,"ymclid":"m","ymClientId":"n","gclid":"o","yqrid":"p",
			"fbclid":"q","roistatId":4567,"referrer":"https://example.ru/?a=1&b=2","ip":"192.0.2.1"}`,
			want: lead.Input{Name: sp("Иван"), Phone: sp(phone), Email: sp("a@b.ru"), UserIDOwner: ip(1), SourceID: ip(2),
				RemoteID: ip(-3), LocationUnitID: ip(4), LocationCityID: ip(5), FunnelStageID: ip(6), Cost: ip(0),
				Marks: lead.Marks{UTMSource: sp("ya"), UTMMedium: sp("cpc"), UTMCampaign: sp("c"), UTMContent: sp("d"),
					UTMTerm: sp("e"), UTMReferrer: sp("f"), OpenstatService: sp("g"), OpenstatCampaign: sp("h"),
					OpenstatAd: sp("i"), OpenstatSource: sp("j"), From: sp("k"), YClID: sp("123"), YMClID: sp("m"),
					YMClientID: sp("n"), GClID: sp("o"), YQRID: sp("p"), FBClID: sp("q"), RoistatID: sp("4567"),
					Referrer: sp("https://example.ru/?a=1&b=2"), IP: sp("192.0.2.1")}}},

		{name: "OKNULDropped", body: `{"phone":"79998888888","name":"Iv\u0000an","utmTerm":"\u0000"}`,
			want: lead.Input{Phone: sp(phone), Name: sp("Ivan")}},

		// Unknown keys are kept, exact-case names included, in arrival order.
		{name: "OKExtra", body: `{"PHONE":"1","phone":"79998888888","Phone":2,"id":1.50,"firstId":null,"x":[ 1 , {"y":"<&>"} ],"d\u0000":true,"\u2028":"z"}`,
			want: lead.Input{Phone: sp(phone), Extra: []byte(`{"PHONE":"1","Phone":2,"id":1.50,"firstId":null,"x":[1,{"y":"<&>"}],"d\u0000":true,"\u2028":"z"}`)}},
		{name: "OKExtraDeepAtLimit", body: `{"phone":"79998888888","x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`,
			want: lead.Input{Phone: sp(phone), Extra: []byte(`{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`)}},
		{name: "OKBracketsInStringsAreNotNesting", body: `{"phone":"79998888888","x":"` + strings.Repeat(`[{\"`, 100) + `"}`,
			want: lead.Input{Phone: sp(phone), Extra: []byte(`{"x":"` + strings.Repeat(`[{\"`, 100) + `"}`)}},

		// Required.
		{name: "ErrPhoneRequired", body: `{}`, code: lead.EInvalid, errJSON: requiredJSON},
		{name: "ErrPhoneRequiredBlank", body: `{"name":"Иван","phone":"  ","email":null}`, code: lead.EInvalid, errJSON: requiredJSON},
		{name: "ErrPhoneRequiredWrongCase", body: `{"PHONE":"79998888888","Email":"a@b.ru"}`, code: lead.EInvalid, errJSON: requiredJSON},
		{name: "ErrPhoneRequiredWithOthers", body: `{"cost":-1,"userIdOwner":"abc"}`, code: lead.EInvalid,
			errJSON: `{"errors":{"phone":["Поле Телефон обязательно для заполнения."],"userIdOwner":["Значение поля ID Ответственного сотрудника должно быть целым числом."],"cost":["Значение поля Сумма (Бюджет) не может быть отрицательным."]}}`},
		{name: "ErrPhoneFormatNotRequired", body: `{"phone":"abc"}`, code: lead.EInvalid,
			errJSON: `{"errors":{"phone":["Значение поля Телефон имеет некорректный формат."]}}`},
		{name: "ErrPhoneTypeNotRequired", body: `{"phone":true}`, code: lead.EInvalid,
			errJSON: `{"errors":{"phone":["Значение поля Телефон должно быть строкой."]}}`},
		{name: "ErrEmailNotRequired", body: `{"email":"nope"}`, code: lead.EInvalid,
			errJSON: `{"errors":{"email":["Значение поля Email должно быть действительным электронным адресом."]}}`},
		{name: "ErrPhoneFormatWithValidEmail", body: `{"phone":"123","email":"a@b.ru"}`, code: lead.EInvalid,
			errJSON: `{"errors":{"phone":["Значение поля Телефон имеет некорректный формат."]}}`},

		// All errors, in the seed's field order whatever the arrival order.
		{name: "ErrAllInFieldOrder", body: `{"ip":[],"cost":"x","email":"a@","phone":"---","name":{}}`, code: lead.EInvalid,
			errJSON: `{"errors":{"name":["Значение поля Имя должно быть строкой."],"phone":["Значение поля Телефон имеет некорректный формат."],"email":["Значение поля Email должно быть действительным электронным адресом."],"cost":["Значение поля Сумма (Бюджет) должно быть целым числом."],"ip":["Значение поля IP адрес клиента должно быть строкой."]}}`},

		// The body as a whole.
		{name: "ErrNotUTF8", body: "{\"phone\":\"7999\xff\"}", code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Тело запроса должно быть в кодировке UTF-8."]}}`},
		{name: "ErrEmpty", body: ``, code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса пустое, ожидается JSON-объект."]}}`},
		{name: "ErrBlank", body: " \n", code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса пустое, ожидается JSON-объект."]}}`},
		{name: "ErrOnlyByteOrderMark", body: "\xef\xbb\xbf", code: lead.EMalformed, errJSON: "*"},
		{name: "ErrArray", body: `[{"phone":"79998888888"}]`, code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса должно быть JSON-объектом."]}}`},
		{name: "ErrString", body: `"79998888888"`, code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса должно быть JSON-объектом."]}}`},
		{name: "ErrNumber", body: `79998888888`, code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса должно быть JSON-объектом."]}}`},
		{name: "ErrNull", body: `null`, code: lead.EMalformed, errJSON: `{"errors":{"body":["Тело запроса должно быть JSON-объектом."]}}`},
		{name: "ErrTwoObjects", body: `{"phone":"79998888888"} {}`, code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Некорректный JSON: после объекта есть лишние данные (позиция 24)."]}}`},
		{name: "ErrTrailingGarbage", body: `{"phone":"79998888888"}x`, code: lead.EMalformed, errJSON: "*"},
		{name: "ErrSyntax", body: `{"phone":}`, code: lead.EMalformed, errJSON: `{"errors":{"body":["Некорректный JSON: ошибка синтаксиса в позиции 9."]}}`},
		{name: "ErrTrailingComma", body: `{"phone":"79998888888",}`, code: lead.EMalformed, errJSON: "*"},
		{name: "ErrSingleQuotes", body: `{'phone':'79998888888'}`, code: lead.EMalformed, errJSON: "*"},
		{name: "ErrTruncated", body: `{"phone":"79998888888"`, code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Некорректный JSON: тело запроса обрывается до конца объекта."]}}`},
		{name: "ErrTruncatedInValue", body: `{"phone":"7999`, code: lead.EMalformed, errJSON: "*"},
		{name: "ErrDuplicateKey", body: `{"phone":"79998888888","phone":"79997777777"}`, code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Ключ \"phone\" повторяется."]}}`},
		{name: "ErrDuplicateEscapedKey", body: `{"phone":"79998888888","ph\u006fne":"79997777777"}`, code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Ключ \"phone\" повторяется."]}}`},
		{name: "ErrDuplicateUnknownKey", body: `{"phone":"79998888888","x%d":1,"x%d":2}`, code: lead.EMalformed,
			errJSON: `{"errors":{"body":["Ключ \"x%d\" повторяется."]}}`},
		{name: "ErrTooDeep", body: `{"phone":"79998888888","x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`,
			code: lead.EMalformed, errJSON: `{"errors":{"body":["Некорректный JSON: вложенность значений больше 64 уровней."]}}`},
	})
}

func TestDecodeJSONPhone(t *testing.T) {
	var cases []decodeCase
	for in, want := range map[string]string{
		`"+7 (999) 888-88-88"`:        phone,
		`"8 999 888 88 88"`:           phone,
		`"79998888888"`:               phone,
		`79998888888`:                 phone,
		`"9998888888"`:                phone,
		`"8(999)888-88-88"`:           phone,
		`"+7 999 888 88 88 доб. 123"`: phone,
		`"+7 999 888 88 88 ext. 5"`:   phone,
		`"tel:+7-999-888-88-88"`:      phone,
		`"8 800 555-35-35"`:           "78005553535",
		`"+380 44 123 4567"`:          "380441234567",
		`"+1 650 253 0000"`:           "16502530000",
		`"+39 06 1234 5678"`:          "390612345678", // Italy keeps the leading zero
		`"+44 7911 123456"`:           "447911123456",
		`"810 380 44 123 4567"`:       "380441234567", // RU's international prefix
	} {
		cases = append(cases, decodeCase{name: "OK" + in, body: `{"phone":` + in + `}`, want: lead.Input{Phone: sp(want)}})
	}
	for _, in := range []string{`"abc"`, `"123"`, `"+"`, `"---"`, `"7"`, `"1234567"`, `"+0 123"`, `"+7 999 888 88 88 or +7 111"`,
		`"9998888888 9998888888"`, `"` + strings.Repeat("9", 255) + `"`, `-1`, `1e10`} {
		cases = append(cases, decodeCase{name: "ErrFormat" + in, body: `{"phone":` + in + `}`, code: lead.EInvalid,
			errJSON: `{"errors":{"phone":["Значение поля Телефон имеет некорректный формат."]}}`})
	}
	runDecodeCases(t, cases)
}

func TestDecodeJSONEmail(t *testing.T) {
	var cases []decodeCase
	for _, in := range []string{"a@b.ru", "Ivan.Petrov+lead@Mail.RU", "ivan@почта.рф", "иван@почта.рф", "a_b-c@sub.example.com",
		"a!#$%&'*+/=?^_`{|}~@x.ru", "  a@b.ru  "} {
		cases = append(cases, decodeCase{name: "OK" + in, body: `{"email":"` + in + `"}`, want: lead.Input{Email: sp(strings.TrimSpace(in))}})
	}
	for _, in := range []string{"nope", "a@b", "@b.ru", "a@", "a@@b.ru", "a@b@c.ru", "a b@c.ru", "a@b .ru", "Ivan <a@b.ru>",
		"<a@b.ru>", `\"a\"@b.ru`, "a@b.ru(comment)", "a..b@c.ru", ".a@b.ru", "a@b..ru", "a@b.ru.", "a@b.ru,c@d.ru"} {
		cases = append(cases, decodeCase{name: "Err" + in, body: `{"email":"` + in + `"}`, code: lead.EInvalid,
			errJSON: `{"errors":{"email":["Значение поля Email должно быть действительным электронным адресом."]}}`})
	}
	cases = append(cases, decodeCase{name: "ErrTooLong", body: `{"email":"` + strings.Repeat("a", 251) + `@b.ru"}`, code: lead.EInvalid,
		errJSON: `{"errors":{"email":["Количество символов в поле Email не может превышать 255."]}}`})
	runDecodeCases(t, cases)
}

func TestDecodeJSONRegion(t *testing.T) {
	for _, tc := range []struct{ region, in, want string }{
		{"", "8 999 888 88 88", phone},
		{"ru", "8 999 888 88 88", phone},
		{"UA", "044 123 4567", "380441234567"},
		{"US", "(650) 253-0000", "16502530000"},
		{"US", "+7 999 888 88 88", phone},
	} {
		got, ok := New(tc.region).NormalizePhone(tc.in)
		if !ok || got != tc.want {
			t.Errorf("New(%q).NormalizePhone(%q) = %q, %v; want %q", tc.region, tc.in, got, ok, tc.want)
		}
	}
}

func TestEmailKey(t *testing.T) {
	for in, want := range map[string]string{"Ivan@Mail.RU": "ivan@mail.ru", " A@B.ru\n": "a@b.ru", "Иван@Почта.РФ": "иван@почта.рф"} {
		if got := EmailKey(in); got != want {
			t.Errorf("EmailKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A body nested far beyond encoding/json's own limit is refused before the
// decoder recurses into it.
func TestDecodeJSONDeepNesting(t *testing.T) {
	for _, n := range []int{10001, 1 << 20} {
		body := `{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		start := time.Now()
		_, err := New("").DecodeJSON([]byte(body))
		if lead.ErrorCode(err) != lead.EMalformed {
			t.Fatalf("depth %d: err %v, want EMalformed", n, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("depth %d took %v", n, d)
		}
	}
}

// One Decoder serves every request; the race detector checks it shares
// nothing mutable, phonenumbers' caches included.
func TestDecodeJSONConcurrent(t *testing.T) {
	d := New("")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				in, err := d.DecodeJSON(benchBody)
				if err != nil || *in.Phone != phone || string(in.Extra) != `{"formName":"callback"}` {
					t.Errorf("DecodeJSON: %v, %s", err, dump(in))
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKnownRegion(t *testing.T) {
	for region, want := range map[string]bool{"RU": true, "kz": true, " BY ": true, "RUS": false, "": false, "XX": false} {
		if got := KnownRegion(region); got != want {
			t.Errorf("KnownRegion(%q) = %v, want %v", region, got, want)
		}
	}
}

func TestDecodePatch(t *testing.T) {
	d := New("RU")
	in, present, err := d.DecodePatch([]byte(`{"name":"Пётр","funnelStageId":null,"cost":"100","x":1}`))
	if err != nil {
		t.Fatalf("DecodePatch: %v", err)
	}
	if strings.Join(present, ",") != "name,funnelStageId,cost" {
		t.Errorf("present = %v, want name,funnelStageId,cost", present)
	}
	if *in.Name != "Пётр" || in.FunnelStageID != nil || *in.Cost != 100 || string(in.Extra) != `{"x":1}` {
		t.Errorf("input = %+v", in)
	}
	if _, _, err := d.DecodePatch([]byte(`{"phone":"abc"}`)); lead.ErrorCode(err) != lead.EInvalid {
		t.Errorf("bad phone: err = %v, want EInvalid", err)
	}
	if _, present, err := d.DecodePatch([]byte(`{}`)); err != nil || len(present) != 0 {
		t.Errorf("empty patch: present %v, err %v", present, err)
	}
}

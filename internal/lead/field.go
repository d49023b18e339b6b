package lead

// Kind is the wire type of a request field.
type Kind int

const (
	KindString Kind = iota
	KindInt
)

// MaxString is the longest string a field takes unless it says otherwise.
const MaxString = 255

// Field describes one request field of the webhook: its wire name, type,
// the label managers and error messages use (the seed's description column)
// and where it lives in an Input.
type Field struct {
	Name    string
	Kind    Kind
	Label   string // Russian, as in the seed's table
	LabelEn string
	MaxLen  int // in characters, for strings

	str func(*Input) **string
	num func(*Input) **int64
}

// String returns the address of the field's value in in; nil for an int field.
func (f *Field) String(in *Input) **string {
	if f.str == nil {
		return nil
	}
	return f.str(in)
}

// Int returns the address of the field's value in in; nil for a string field.
func (f *Field) Int(in *Input) **int64 {
	if f.num == nil {
		return nil
	}
	return f.num(in)
}

func strField(name, label, labelEn string, max int, get func(*Input) **string) Field {
	return Field{Name: name, Kind: KindString, Label: label, LabelEn: labelEn, MaxLen: max, str: get}
}

func intField(name, label, labelEn string, get func(*Input) **int64) Field {
	return Field{Name: name, Kind: KindInt, Label: label, LabelEn: labelEn, num: get}
}

// Fields lists the webhook's request fields in the seed's order.
var Fields = []Field{
	strField("name", "Имя", "Name", MaxString, func(in *Input) **string { return &in.Name }),
	strField("phone", "Телефон", "Phone", MaxString, func(in *Input) **string { return &in.Phone }),
	strField("email", "Email", "Email", MaxString, func(in *Input) **string { return &in.Email }),
	intField("userIdOwner", "ID Ответственного сотрудника", "Owner ID", func(in *Input) **int64 { return &in.UserIDOwner }),
	intField("sourceId", "ID рекламного источника", "Source ID", func(in *Input) **int64 { return &in.SourceID }),
	intField("remoteId", "Внешний ID", "External ID", func(in *Input) **int64 { return &in.RemoteID }),
	intField("locationUnitId", "ID Офиса", "Office ID", func(in *Input) **int64 { return &in.LocationUnitID }),
	intField("locationCityId", "ID Города", "City ID", func(in *Input) **int64 { return &in.LocationCityID }),
	intField("funnelStageId", "ID Этапа воронки", "Funnel stage ID", func(in *Input) **int64 { return &in.FunnelStageID }),
	intField("cost", "Сумма (Бюджет)", "Amount (budget)", func(in *Input) **int64 { return &in.Cost }),
	strField("utmSource", "UTM Source", "UTM Source", MaxString, func(in *Input) **string { return &in.Marks.UTMSource }),
	strField("utmMedium", "UTM Medium", "UTM Medium", MaxString, func(in *Input) **string { return &in.Marks.UTMMedium }),
	strField("utmCampaign", "UTM Campaign", "UTM Campaign", MaxString, func(in *Input) **string { return &in.Marks.UTMCampaign }),
	strField("utmContent", "UTM Content", "UTM Content", MaxString, func(in *Input) **string { return &in.Marks.UTMContent }),
	strField("utmTerm", "UTM Term", "UTM Term", MaxString, func(in *Input) **string { return &in.Marks.UTMTerm }),
	strField("utmReferrer", "UTM Referrer", "UTM Referrer", MaxString, func(in *Input) **string { return &in.Marks.UTMReferrer }),
	strField("openstatService", "openstat Service", "openstat Service", MaxString, func(in *Input) **string { return &in.Marks.OpenstatService }),
	strField("openstatCampaign", "openstat Campaign", "openstat Campaign", MaxString, func(in *Input) **string { return &in.Marks.OpenstatCampaign }),
	strField("openstatAd", "openstat Ad", "openstat Ad", MaxString, func(in *Input) **string { return &in.Marks.OpenstatAd }),
	strField("openstatSource", "openstat Source", "openstat Source", MaxString, func(in *Input) **string { return &in.Marks.OpenstatSource }),
	strField("from", "Метка From", "From tag", MaxString, func(in *Input) **string { return &in.Marks.From }),
	strField("yclid", "Метка Яндекс.Директ", "Yandex Direct click ID", MaxString, func(in *Input) **string { return &in.Marks.YClID }),
	strField("ymclid", "Метка Яндекс.Маркет", "Yandex Market click ID", MaxString, func(in *Input) **string { return &in.Marks.YMClID }),
	strField("ymClientId", "Client ID Яндекс.Метрика", "Yandex Metrica client ID", MaxString, func(in *Input) **string { return &in.Marks.YMClientID }),
	strField("gclid", "Метка Google Adwords", "Google Ads click ID", MaxString, func(in *Input) **string { return &in.Marks.GClID }),
	strField("yqrid", "Метка Яндекс QR", "Yandex QR ID", MaxString, func(in *Input) **string { return &in.Marks.YQRID }),
	strField("fbclid", "Метка Facebook", "Facebook click ID", MaxString, func(in *Input) **string { return &in.Marks.FBClID }),
	strField("roistatId", "Roistat ID", "Roistat ID", MaxString, func(in *Input) **string { return &in.Marks.RoistatID }),
	strField("referrer", "Источник перехода", "Referrer", 2048, func(in *Input) **string { return &in.Marks.Referrer }),
	strField("ip", "IP адрес клиента", "Client IP address", MaxString, func(in *Input) **string { return &in.Marks.IP }),
}

var fieldIndex = func() map[string]*Field {
	m := make(map[string]*Field, len(Fields))
	for i := range Fields {
		m[Fields[i].Name] = &Fields[i]
	}
	return m
}()

// FieldByName returns the request field with exactly this (case-sensitive)
// name, or nil.
func FieldByName(name string) *Field { return fieldIndex[name] }

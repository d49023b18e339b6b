package lead

// Messages the API and the UI share with the domain's own (error.go), kept
// here so that every surface, and the English catalogue, names one text.
const (
	MsgBoolean     = "Значение поля %s должно быть true или false."
	MsgMinLen      = "Количество символов в поле %s должно быть не меньше %d."
	MsgUnknownKey  = "Поле %s не поддерживается." // a key an update does not take: a typo is not silently ignored
	MsgUnavailable = "Сервис временно недоступен, повторите запрос позже."
)

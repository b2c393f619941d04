package persona

import "math/rand/v2"

var commentsID = []string{
	"Dari tadi pagi gak bisa dibuka",
	"Aplikasinya error terus",
	"Loading terus, gak masuk-masuk",
	"Tolong diperbaiki dong, penting banget",
	"Udah coba restart HP tetap sama",
	"Down lagi ya?",
	"Gangguan di daerah saya",
	"Kenapa ya? padahal sinyal bagus",
	"Parah, udah sejam begini",
	"Di rumah juga sama, semua keluarga kena",
}

var commentsIDBySymptom = map[string][]string{
	"login":             {"Gak bisa login, sesi habis terus", "Kode OTP gak masuk-masuk"},
	"mobile-banking":    {"M-banking gak bisa dibuka, muncul kode error", "Aplikasi bank force close terus"},
	"transfers":         {"Transfer gagal tapi saldo kepotong", "Transfer antar bank pending dari tadi"},
	"qris":              {"QRIS gak bisa scan di kasir", "Bayar pakai QRIS gagal terus"},
	"atm":               {"ATM gak bisa tarik tunai", "Kartu ketelan di ATM"},
	"mobile-internet":   {"Internet lemot banget, padahal kuota masih banyak", "Data seluler gak jalan sama sekali"},
	"signal":            {"Sinyal hilang total dari tadi", "No service di HP"},
	"internet":          {"Internet mati, lampu LOS merah", "WiFi connect tapi gak ada internet"},
	"power-outage":      {"Listrik padam dari sore", "Mati lampu lagi di kompleks"},
	"token-purchase":    {"Beli token listrik gagal terus"},
	"payments":          {"Pembayaran gagal terus", "Saldo kepotong tapi pesanan gak masuk"},
	"top-up":            {"Top up belum masuk juga"},
	"server-connection": {"Lag parah, ping merah terus", "Keluar sendiri dari game"},
	"matchmaking":       {"Cari match gak ketemu-ketemu"},
	"messages":          {"Pesan gak terkirim, centang satu terus", "Chat gak masuk"},
	"orders":            {"Pesanan gak muncul di riwayat", "Driver gak dapet-dapet"},
	"checkout":          {"Gak bisa checkout, error terus"},
}

var commentsEN = []string{
	"Down for me too",
	"App keeps crashing",
	"Won't load at all",
	"Been like this for an hour",
	"Anyone else?",
	"Error every time I try",
	"Stuck on the loading screen",
	"Works on wifi but not on mobile data",
	"Restarted twice, still broken",
}

var commentsENBySymptom = map[string][]string{
	"login":             {"Can't log in, keeps saying try again later", "Never get the 2FA code"},
	"messages":          {"Messages not sending", "Stuck on one tick"},
	"payments":          {"Payment declined for no reason"},
	"card-payments":     {"Card declined at the shop"},
	"transfers":         {"Transfer stuck on pending"},
	"mobile-banking":    {"Banking app won't open"},
	"server-connection": {"Disconnected from the server every few minutes"},
	"matchmaking":       {"Matchmaking takes forever"},
	"responses":         {"Responses cut off halfway with a network error", "It just says something went wrong"},
	"api":               {"API returning 500s", "Requests time out"},
	"console":           {"Console won't load"},
	"internet":          {"Internet completely down"},
	"signal":            {"No signal since this morning", "SOS only"},
	"calls":             {"Calls drop after a few seconds"},
	"streaming":         {"Keeps buffering"},
	"feed":              {"Feed won't refresh"},
}

// Comment returns a short comment for a report about symptom, in
// Indonesian for people in Indonesia and in English elsewhere.
func Comment(rng *rand.Rand, country, symptom string) string {
	generic, specific := commentsEN, commentsENBySymptom[symptom]
	if country == "ID" && rng.Float64() < 0.9 {
		generic, specific = commentsID, commentsIDBySymptom[symptom]
	}
	if len(specific) > 0 && rng.Float64() < 0.6 {
		return specific[rng.IntN(len(specific))]
	}
	return generic[rng.IntN(len(generic))]
}

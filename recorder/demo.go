package recorder

import "github.com/dialect-corpus/dialect/corpus"

// DemoProject is the project `dialect serve` creates on a fresh data
// directory: everyday Taiwanese Hokkien, read aloud or told freely.
func DemoProject() corpus.Project {
	return corpus.Project{
		Slug:    "demo",
		Name:    "台語日常句 Taiwanese Hokkien everyday sentences (demo)",
		Dialect: "nan-TW",
		// The campaign lives in Taiwan: pages show its times there.
		TimeZone: "Asia/Taipei",
		Modes:    []string{"prompted", "monologue"},
		// 1,000 clips: half in a quiet room, the rest in ordinary and in
		// noisy places, for a corpus that works outside the studio.
		BandQuota:          map[string]int{"low": 500, "medium": 300, "high": 200},
		RateCentsPerMinute: 300,
		Currency:           "TWD",
		ConsentVersion:     1,
		ConsentText: `錄音同意書（第 1 版）

我同意將我在本專案中錄製的聲音，以及我填寫的方言區、年齡層與性別，提供給本專案建立台語語音資料庫，用於語音辨識與語言研究，並可授權給研究機構與廠商使用。我的姓名與帳號不會隨資料釋出。每段錄音都會先經過自動檢查與人工審核；通過審核的錄音，依每分鐘新臺幣 3 元計酬。我可以隨時停止錄音；尚未釋出的錄音，我可以要求刪除。

Recording consent (version 1)

I agree that the recordings I make in this project, and the dialect region, age band and gender I give, may be used to build a Taiwanese Hokkien speech corpus for speech recognition and language research, and may be licensed to research institutions and companies. My name and username are never released with the data. Every recording is checked automatically and reviewed by a person; accepted recordings are paid at NT$3 per minute. I may stop recording at any time, and may ask for recordings not yet released to be deleted.`,
	}
}

// DemoPrompts are the demo project's prompts: everyday sentences in the Han
// characters recommended by the Ministry of Education, with their Tâi-lô
// reading and a Mandarin gloss, then a few monologue topics (TopicPrefix).
// Every text passes transcript.Lint with the default config.
func DemoPrompts() []corpus.Prompt {
	out := make([]corpus.Prompt, 0, len(demoSentences)+len(demoTopics))
	for _, s := range demoSentences {
		out = append(out, corpus.Prompt{Text: s[0], Romanized: s[1], Note: s[2]})
	}
	for _, s := range demoTopics {
		out = append(out, corpus.Prompt{Text: TopicPrefix + " " + s[0], Romanized: s[1], Note: s[2]})
	}
	return out
}

// demoSentences: Han text, Tâi-lô, Mandarin gloss.
var demoSentences = [][3]string{
	// Greetings.
	{"你食飽未？", "Lí tsia̍h-pá buē?", "你吃飽了沒？（打招呼）"},
	{"真久無看著你矣，你好無？", "Tsin kú bô khuànn-tio̍h lí--ah, lí hó--bô?", "好久不見，你好嗎？"},
	{"多謝你的幫忙。", "To-siā lí ê pang-bâng.", "謝謝你的幫忙。"},
	{"毋免客氣。", "M̄-bián kheh-khì.", "不用客氣。"},
	{"歹勢，我來傷晏矣。", "Pháinn-sè, guá lâi siunn uànn--ah.", "不好意思，我來得太晚了。"},
	{"恁好，歡迎恁來阮兜𨑨迌。", "Lín hó, huan-gîng lín lâi guán tau tshit-thô.", "你們好，歡迎來我家玩。"},
	{"等一下，我隨來。", "Tán--tsi̍t-ē, guá sûi lâi.", "等一下，我馬上來。"},
	{"你是佗位人？", "Lí sī toh-uī lâng?", "你是哪裡人？"},
	{"祝你生日快樂！", "Tsiok lí senn-ji̍t khuài-lo̍k!", "祝你生日快樂！"},
	{"新年快樂，恭喜發財！", "Sin-nî khuài-lo̍k, kiong-hí huat-tsâi!", "新年快樂，恭喜發財！"},
	// Weather.
	{"今仔日天氣真好。", "Kin-á-ji̍t thinn-khì tsin hó.", "今天天氣很好。"},
	{"外口咧落雨，你愛紮雨傘。", "Guā-kháu leh lo̍h-hōo, lí ài tsah hōo-suànn.", "外面在下雨，你要帶雨傘。"},
	{"明仔載會出日頭無？", "Bîn-á-tsài ē tshut-ji̍t-thâu--bô?", "明天會出太陽嗎？"},
	{"熱天遮爾熱，愛加啉水。", "Jua̍h-thinn tsiah-nī jua̍h, ài ke lim tsuí.", "夏天這麼熱，要多喝水。"},
	{"寒人愛穿較燒咧。", "Kuânn--lâng ài tshīng khah sio--leh.", "冬天要穿暖一點。"},
	{"風颱欲來矣，門窗愛關予好。", "Hong-thai beh lâi--ah, mn̂g-thang ài kuainn hōo hó.", "颱風要來了，門窗要關好。"},
	{"今仔日透風閣落雨，毋通出門。", "Kin-á-ji̍t thàu-hong koh lo̍h-hōo, m̄-thang tshut-mn̂g.", "今天颳風又下雨，不要出門。"},
	{"天烏矣，較早轉去歇睏。", "Thinn oo--ah, khah tsá tńg-khì hioh-khùn.", "天黑了，早點回去休息。"},
	// Food.
	{"這碗牛肉麵真好食！", "Tsit uánn gû-bah-mī tsin hó-tsia̍h!", "這碗牛肉麵很好吃！"},
	{"我腹肚枵矣，咱來食飯。", "Guá pak-tóo iau--ah, lán lâi tsia̍h-pn̄g.", "我肚子餓了，我們來吃飯。"},
	{"咱來去夜市仔食蚵仔煎。", "Lán lâi-khì iā-tshī-á tsia̍h ô-á-tsian.", "我們去夜市吃蚵仔煎。"},
	{"阿嬤煮的菜頭粿上好食。", "A-má tsú ê tshài-thâu-kué siōng hó-tsia̍h.", "奶奶做的蘿蔔糕最好吃。"},
	{"這間店的咖啡芳閣好啉。", "Tsit king tiàm ê ka-pi phang koh hó-lim.", "這家店的咖啡又香又好喝。"},
	{"你欲啉茶抑是咖啡？", "Lí beh lim tê ia̍h-sī ka-pi?", "你要喝茶還是咖啡？"},
	{"今仔日的菜有較鹹。", "Kin-á-ji̍t ê tshài ū khah kiâm.", "今天的菜比較鹹。"},
	// The market.
	{"我欲去市仔買菜。", "Guá beh khì tshī-á bué tshài.", "我要去市場買菜。"},
	{"這粒西瓜偌濟錢？", "Tsit lia̍p si-kue guā-tsē tsînn?", "這顆西瓜多少錢？"},
	{"頭家，這个菜頭一斤偌濟？", "Thâu-ke, tsit ê tshài-thâu tsi̍t kin guā-tsē?", "老闆，這個蘿蔔一斤多少錢？"},
	{"會使算較俗一寡無？", "Ē-sái sǹg khah sio̍k tsi̍t-kuá--bô?", "可以算便宜一點嗎？"},
	{"菜市仔的魚仔真新鮮。", "Tshài-tshī-á ê hî-á tsin sin-sian.", "菜市場的魚很新鮮。"},
	{"遮的物件攏真貴。", "Tsia ê mi̍h-kiānn lóng tsin kuì.", "這裡的東西都很貴。"},
	{"這領衫傷大領，有較細領的無？", "Tsit niá sann siunn tuā-niá, ū khah sè-niá--ê bô?", "這件衣服太大件，有小一點的嗎？"},
	// Family.
	{"阿母佇灶跤煮飯。", "A-bú tī tsàu-kha tsú-pn̄g.", "媽媽在廚房煮飯。"},
	{"阮阿公逐工透早攏去公園運動。", "Guán a-kong ta̍k-kang thàu-tsá lóng khì kong-hn̂g ūn-tōng.", "我爺爺每天一大早都去公園運動。"},
	{"阮兜有四个人。", "Guán tau ū sì ê lâng.", "我家有四個人。"},
	{"阿爸去上班矣。", "A-pah khì siōng-pan--ah.", "爸爸去上班了。"},
	{"囡仔咧睏，恁細聲一點仔。", "Gín-á leh khùn, lín sè-siann tsi̍t-tiám-á.", "小孩在睡覺，你們小聲一點。"},
	{"阮小弟佇臺北讀冊。", "Guán sió-tī tī Tâi-pak tha̍k-tsheh.", "我弟弟在臺北讀書。"},
	{"阮阿姊佇病院食頭路。", "Guán a-tsí tī pēnn-īnn tsia̍h-thâu-lōo.", "我姊姊在醫院工作。"},
	{"伊講話足好笑。", "I kóng-uē tsiok hó-tshiò.", "他說話很好笑。"},
	// Getting around.
	{"你欲坐公車抑是坐捷運？", "Lí beh tsē kong-tshia ia̍h-sī tsē tsia̍t-ūn?", "你要坐公車還是搭捷運？"},
	{"火車頭佇遐，行路五分鐘就到矣。", "Hué-tshia-thâu tī hia, kiânn-lōo gōo hun-tsing tō kàu--ah.", "火車站在那裡，走路五分鐘就到了。"},
	{"這條路定定塞車。", "Tsit tiâu lōo tiānn-tiānn that-tshia.", "這條路常常塞車。"},
	{"騎車愛戴安全帽。", "Khiâ-tshia ài tì an-tsuân-bō.", "騎車要戴安全帽。"},
	{"捷運站佇頭前彼个路口。", "Tsia̍t-ūn-tsām tī thâu-tsîng hit ê lōo-kháu.", "捷運站在前面那個路口。"},
	// Everyday talk.
	{"這馬幾點矣？", "Tsit-má kuí tiám--ah?", "現在幾點了？"},
	{"你講啥物？我聽無。", "Lí kóng siánn-mih? Guá thiann-bô.", "你說什麼？我聽不懂。"},
	{"我毋知影伊今仔日袂來。", "Guá m̄ tsai-iánn i kin-á-ji̍t bē lâi.", "我不知道他今天不會來。"},
	{"你敢有看著我的鎖匙？", "Lí kám ū khuànn-tio̍h guá ê só-sî?", "你有沒有看到我的鑰匙？"},
	{"你佇佗位食頭路？", "Lí tī toh-uī tsia̍h-thâu-lōo?", "你在哪裡工作？"},
	{"我袂曉講英語。", "Guá bē-hiáu kóng Ing-gí.", "我不會說英語。"},
}

// demoTopics: monologue topics, stored with TopicPrefix.
var demoTopics = [][3]string{
	{"講你細漢的時陣上愛食的物件。", "Kóng lí sè-hàn ê sî-tsūn siōng ài tsia̍h ê mi̍h-kiānn.", "說說你小時候最愛吃的東西。"},
	{"講恁兜附近的菜市仔。", "Kóng lín tau hū-kīn ê tshài-tshī-á.", "說說你家附近的菜市場。"},
	{"講你最近去𨑨迌的所在。", "Kóng lí tsuè-kīn khì tshit-thô ê sóo-tsāi.", "說說你最近去玩的地方。"},
	{"講你逐工按怎去上班抑是上課。", "Kóng lí ta̍k-kang án-tsuánn khì siōng-pan ia̍h-sī siōng-khò.", "說說你每天怎麼去上班或上課。"},
	{"講一个你佮厝邊的故事。", "Kóng tsi̍t ê lí kah tshù-pinn ê kòo-sū.", "說一個你和鄰居之間的故事。"},
}

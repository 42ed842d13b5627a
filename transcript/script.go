package transcript

import "sync"

// simplifiedPairs is a small hand-built table for the optional script rule
// (T015): common characters that exist only in Simplified Chinese, each
// followed by its one Traditional form. Characters with more than one
// Traditional form (发 發/髮, 干 乾/幹) or that are also Traditional (台,
// 里, 后, 只) are left out on purpose, so every entry can be fixed without
// a person's judgement. It catches the usual slips of a Simplified input
// method; it is not a converter.
const simplifiedPairs = "" +
	"们們这這说說个個来來时時会會国國对對没沒还還过過为為见見关關东東车車买買卖賣钱錢听聽话話语語讲講门門问問间間开開电電长長" +
	"马馬鸟鳥鱼魚饭飯请請谢謝岁歲学學习習书書写寫读讀认認识識让讓给給从從头頭脑腦爱愛样樣应應该該现現实實经經结結题題医醫饮飲" +
	"鸡雞猪豬汤湯场場厂廠广廣乡鄉县縣区區华華湾灣妈媽爷爺亲親孙孫儿兒师師兴興欢歡乐樂觉覺热熱风風阳陽阴陰气氣节節运運动動边邊" +
	"两兩万萬亿億块塊点點号號码碼机機网網络絡线線图圖画畫笔筆纸紙办辦务務员員总總业業产產农農贵貴难難变變谁誰么麼吗嗎将將军軍" +
	"战戰争爭谈談论論议議记記计計设設许許诉訴试試误誤调調证證评評词詞译譯课課虽雖进進远遠连連选選递遞迟遲达達适適随隨违違陈陳" +
	"张張刘劉杨楊吴吳黄黃赵趙郑鄭蓝藍绿綠红紅颜顏顶頂顺順领領预預顾顧飞飛馆館饿餓饱飽饺餃鲜鮮鸭鴨龙龍龟龜齿齒压壓坏壞尘塵层層" +
	"归歸当當录錄怀懷态態怜憐恋戀恶惡恼惱惊驚惯慣愿願懒懶扫掃护護报報担擔拥擁择擇挂掛换換损損据據摆擺敌敵数數断斷无無旧舊显顯" +
	"晒曬术術杀殺杂雜权權条條极極构構枪槍标標树樹桥橋检檢楼樓横橫欧歐残殘毕畢决決冻凍净淨测測济濟浅淺温溫满滿滚滾灯燈灵靈炉爐" +
	"烟煙烦煩烧燒牵牽犹猶独獨狮獅环環玛瑪疗療盐鹽监監盖蓋睁睜矿礦礼禮祸禍离離积積称稱稳穩穷窮竞競简簡类類紧緊约約级級纪紀纯純" +
	"纳納练練组組细細织織终終绍紹绕繞绘繪绝絕统統继繼续續维維编編缘緣罗羅职職联聯聪聰肠腸肤膚胜勝脚腳脸臉艺藝苏蘇苹蘋药藥获獲" +
	"萝蘿虾蝦蚁蟻补補装裝观觀规規视視览覽触觸誉譽订訂训訓访訪诗詩详詳贝貝负負贡貢财財责責败敗货貨质質购購贴貼费費资資赛賽赶趕" +
	"跃躍践踐轮輪软軟轻輕较較辆輛输輸辞辭迈邁逻邏遗遺邮郵邻鄰酱醬释釋针針钓釣铁鐵银銀锁鎖错錯键鍵镜鏡闭閉闲閒闹鬧闻聞队隊阶階" +
	"际際陆陸险險隐隱雾霧静靜页頁频頻饼餅驾駕验驗骑騎麦麥齐齊凤鳳单單卫衛厅廳双雙园園围圍圣聖坚堅处處备備夺奪妇婦娱娛宁寧宝寶" +
	"宽寬寻尋导導尔爾尝嘗岛島币幣带帶帮幫庆慶库庫庙廟废廢弹彈彻徹忆憶忧憂体體"

// toTraditional maps each Simplified character of the table to its
// Traditional form.
var toTraditional = func() map[rune]rune {
	m := map[rune]rune{}
	rs := []rune(simplifiedPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		m[rs[i]] = rs[i+1]
	}
	return m
}()

// toSimplified is the reverse table, built on first use.
var toSimplified = sync.OnceValue(func() map[rune]rune {
	m := map[rune]rune{}
	for s, t := range toTraditional {
		m[t] = s
	}
	return m
})

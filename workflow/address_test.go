package workflow

import (
	"strings"
	"testing"

	"weiquan"
)

func TestResolveAddress(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want string
	}{
		// 福州
		{"full form", "福建省福州市鼓楼区五四路128号", "350102"},
		{"street named after Shanghai", "福州市台江区上海街道工业路", "350103"},
		{"market named after Shanghai", "福州市台江区上海市场", "350103"},
		{"city and bare district", "福州鼓楼", "350102"},
		{"district only", "仓山区金山街道浦上大道", "350104"},
		{"district after renaming", "福州市长乐区航城街道", "350112"},
		{"former county-level city", "福建省长乐市吴航街道", "350112"},
		{"former name bare after city", "福州长乐营前", "350112"},
		{"county-level city", "福清市音西街道清昌大道", "350181"},
		{"bare county-level city at start", "福清龙江街道", "350181"},
		{"pingtan experimental zone", "平潭综合实验区金井湾商务营运中心", weiquan.DivisionPingtan},
		{"pingtan county", "福州市平潭县潭城镇", weiquan.DivisionPingtan},
		{"county only", "闽侯县上街镇", "350121"},
		{"town named like a mountain", "晋安区鼓山镇", "350111"},
		{"road starting with a direction after district", "福州市鼓楼区东街口百货", "350102"},
		{"snack chain named after a county", "福州市鼓楼区五四路沙县小吃", "350102"},
		{"other city's street in Fujian", "福州市鼓楼区北京路", "350102"},
		{"market supervision bureau", "福清市市场监督管理局", "350181"},
		{"market is not the city", "福清市场", ""},
		{"bare county before a market road", "福州连江市场路159号", "350122"},
		{"bare district before a place in it", "福州鼓楼东街口", "350102"},
		{"bare county with a wrong suffix", "福州连江市琯头镇", "350122"},
		{"former name before a market", "福州长乐市场路", "350112"},
		{"bare county-level city before a market", "福州福清市场路", "350181"},
		{"bare district before an airport", "福州长乐机场", "350112"},
		{"bare district before its town", "福州马尾镇", "350105"},
		{"other city's district before a road", "福州思明路", ""},
		{"bare district before a south road", "福州鼓楼南路", ""},
		{"bare county before a guild hall", "福州连江会馆", ""},
		// 厦门
		{"xiamen full form", "福建省厦门市思明区湖滨南路388号", "350203"},
		{"xiamen district only", "思明区湖滨南路", "350203"},
		{"xiamen without suffixes", "厦门思明湖滨南路", "350203"},
		{"street named after its district", "厦门市湖里区湖里大道", "350206"},
		{"street name is not a district", "厦门湖里大道22号", ""},
		{"avenue name is not a district", "厦门湖里大街", ""},
		{"east road name is not a district", "厦门湖里东路", ""},
		{"numbered road name is not a district", "厦门湖里二路", ""},
		{"bare district before a bus station", "厦门同安汽车站", "350212"},
		{"platform shop with address", "淘宝店铺 XX旗舰店 厦门市湖里区高崎南五路", "350206"},
		{"subdistrict of a former district", "厦门市集美区杏林街道", "350211"},
		{"xiangan", "厦门市翔安区马巷镇", "350213"},
		{"gulangyu at start", "鼓浪屿龙头路", "350203"},
		{"gulangyu after city", "厦门鼓浪屿", "350203"},
		{"gulangyu snack shop elsewhere", "福州市鼓楼区鼓浪屿馅饼店", "350102"},
		{"haicang", "厦门市海沧区", "350205"},
		{"full-width spaces and brackets", "厦门市　（思明区）", "350203"},
		{"district of another city", "厦门市鼓楼区", ""},
		{"city only", "厦门市", ""},
		{"university named after the city", "厦门大学", ""},
		{"label before district", "地址：思明区湖滨南路", "350203"},
		{"street on a street", "厦门市思明区中山路", "350203"},
		// 莆田
		{"putian chengxiang", "莆田市城厢区龙桥街道", "350302"},
		{"putian bare licheng", "莆田荔城", "350304"},
		{"putian xiuyu", "莆田市秀屿区笏石镇", "350305"},
		{"putian hanjiang district only", "涵江区", "350303"},
		{"putian bare chengxiang", "莆田城厢", "350302"},
		{"bare county before a park road", "莆田仙游公园路", "350322"},
		{"town of another city", "泉州城厢镇", ""},
		{"xianyou", "仙游县", "350322"},
		{"chengxiang town in anxi", "安溪县城厢镇", "350524"},
		{"meizhou island", "湄洲岛", "350305"},
		// 三明
		{"merged district by former name", "三明市梅列区列东街", "350404"},
		{"merged district", "三明市三元区", "350404"},
		{"merged district bare former name", "三明梅列", "350404"},
		{"former county bare after city", "福建省三明市沙县凤岗街道", "350405"},
		{"shaxian district", "沙县区", "350405"},
		{"bare former county before a market road", "三明沙县市场路12号", "350405"},
		{"snack chain right after the city", "三明沙县小吃", ""},
		{"yongan", "永安市燕西街道", "350481"},
		{"datian", "三明市大田县", "350425"},
		{"sandwich is not sanming", "福州市鼓楼区三明治店", "350102"},
		// 泉州
		{"jinjiang", "晋江市陈埭镇", "350582"},
		{"shishi", "石狮市宝盖镇", "350581"},
		{"fengze", "泉州市丰泽区温陵北路", "350503"},
		{"bare licheng after city", "泉州鲤城", "350502"},
		{"nanan", "南安市官桥镇", "350583"},
		{"kinmen", "金门县金城镇", weiquan.DivisionKinmen},
		{"kinmen under quanzhou", "福建省泉州市金门县", weiquan.DivisionKinmen},
		{"kinmen written as taiwan", "台湾金门县金城镇", weiquan.DivisionKinmen},
		{"town named like another city", "泉州市惠安县洛阳镇", "350521"},
		{"label and bare county-level city", "地址:晋江陈埭镇", "350582"},
		{"bare district before a station road", "泉州泉港站前路365号", "350505"},
		{"bare county-level city before an airport road", "泉州晋江机场路", "350582"},
		{"bare district before a west street", "泉州鲤城西街", "350502"},
		{"bare county after province and city", "福建省泉州市安溪市场", "350524"},
		// 漳州
		{"former county-level city under city", "漳州市龙海市石码镇", "350604"},
		{"former county-level city", "龙海市角美镇", "350604"},
		{"former county", "漳州市长泰县武安镇", "350605"},
		{"bare changtai after city", "漳州长泰", "350605"},
		{"road named after another city", "漳州市芗城区南昌路", "350602"},
		{"dongshan county", "东山县铜陵镇", "350626"},
		{"bare dongshan after city", "漳州东山", "350626"},
		{"bare dongshan before a market road", "漳州东山市场路122号", "350626"},
		{"bare county before a harbour", "漳州东山港", "350626"},
		{"department store right after the city", "漳州平和堂", ""},
		{"pinghe county", "平和县", "350628"},
		{"department store named like a county", "平和堂百货", ""},
		// 南平
		{"jianyang district", "南平市建阳区", "350703"},
		{"former jianyang city", "建阳市潭城街道", "350703"},
		{"wuyishan", "武夷山市", "350782"},
		{"bare yanping after city", "南平延平", "350702"},
		{"bare district before a station road", "南平建阳站前路8号", "350703"},
		{"bare county-level city before a market", "南平建瓯市场路", "350783"},
		{"jianou", "建瓯市", "350783"},
		// 龙岩
		{"former yongding county", "龙岩市永定县坎市镇", "350803"},
		{"bare yongding after city", "龙岩永定", "350803"},
		{"bare yongding before a market street", "龙岩永定市场街", "350803"},
		{"bare county before a bus station", "龙岩长汀汽车站", "350821"},
		{"xinluo", "龙岩市新罗区", "350802"},
		{"town named like another county", "上杭县古田镇", "350823"},
		{"changting", "长汀县", "350821"},
		// 宁德
		{"fuan stays a city", "宁德市福安市", "350981"},
		{"fuding", "福鼎市太姥山镇", "350982"},
		{"bare jiaocheng after city", "宁德蕉城", "350902"},
		{"bare jiaocheng before a park road", "宁德蕉城公园路23号", "350902"},
		{"bare county-level city before a market", "宁德福鼎市场", "350982"},
		{"separator between city and bare county", "宁德·蕉城公园路", ""},
		{"gutian county", "古田县", "350922"},
		{"xiapu", "霞浦县", "350921"},
		{"city in brackets after its district", "鼓楼区（福州）", "350102"},
		{"dish named after a city", "福州市鼓楼区莆田卤面店", "350102"},
		{"free trade zone spanning districts", "中国(福建)自由贸易试验区厦门片区象屿路", ""},
		{"development zone", "宁德市东侨经济开发区", ""},
		{"kinmen under taiwan province", "台湾省金门县", weiquan.DivisionKinmen},
		{"guild hall named after a province", "福州市鼓楼区湖南会馆", "350102"},
		{"estate named after shanghai", "福州市台江区上海新村", "350103"},
		// Other provinces that share names with Fujian
		{"nanjing gulou", "南京市鼓楼区中山路", ""},
		{"xuzhou gulou", "江苏省徐州市鼓楼区", ""},
		{"kaifeng gulou", "开封市鼓楼区", ""},
		{"nanjing gulou bare", "南京鼓楼", ""},
		{"beijing", "北京市朝阳区建国路", ""},
		{"beijing drum tower street", "北京市鼓楼大街", ""},
		{"zhangjiajie yongding", "湖南省张家界市永定区", ""},
		{"zhangjiajie yongding bare", "张家界永定区", ""},
		{"guizhou taijiang county", "贵州省台江县", ""},
		{"gulou without a city", "鼓楼区中山北路", ""},
		{"yongding without a city", "永定区", ""},
		{"gulou with another city after it", "鼓楼区(南京)", ""},
		{"fujian road in shanghai", "上海市黄浦区福建中路", ""},
		{"zhejiang without suffixes", "浙江杭州西湖区", ""},
		{"shenzhen", "广东省深圳市南山区", ""},
		{"taipei", "台湾省台北市", ""},
		// Unresolvable
		{"platform only", "淘宝", ""},
		{"platform shop only", "拼多多店铺", ""},
		{"empty", "", ""},
		{"whitespace", " \t\u3000", ""},
		{"province only", "福建省", ""},
		{"two cities", "福州市鼓楼区 泉州市丰泽区", ""},
		{"two districts", "思明区 湖里区", ""},
		{"securities company named like a county", "华安证券", ""},
		{"bare district not at start", "XX旗舰店 湖里", ""},
		{"no place at all", "中山西二路", ""},
		{"hairstyle named like a district", "马尾辫造型", ""},
		{"stone lions", "石狮子雕刻", ""},
		{"tea named after a county, not at start", "某某茶业安溪铁观音", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ResolveAddress(tt.addr)
			if got.Code != tt.want {
				t.Errorf("ResolveAddress(%q) = %q (%s), want %q", tt.addr, got.Code, got.Reason, tt.want)
			}
			if got.Reason == "" {
				t.Errorf("ResolveAddress(%q) gave no reason", tt.addr)
			}
			if got.Code != "" {
				if d, ok := weiquan.DivisionByCode(got.Code); !ok || d.Level != weiquan.LevelCounty {
					t.Errorf("ResolveAddress(%q) = %q, not a Fujian county", tt.addr, got.Code)
				}
			}
		})
	}
}

// Every county must be reachable by its full name, alone and under its
// city, and by its bare name after its city: a new edition of the division
// table that introduces a clash shows up here, not in production.
func TestResolveAddressEveryCounty(t *testing.T) {
	for _, d := range weiquan.Divisions {
		if d.Level != weiquan.LevelCounty {
			continue
		}
		city, _ := weiquan.DivisionByCode(d.ParentCode)
		stem := addrStem(d.Name)
		forms := []string{d.Name + "某某路1号", city.Name + d.Name, "福建省" + city.Name + d.Name + "某某路1号"}
		if stem != d.Name {
			forms = append(forms, addrStem(city.Name)+stem)
		}
		for _, addr := range forms {
			got := ResolveAddress(addr)
			want := d.Code
			if addr == d.Name+"某某路1号" && addrDict[d.Name].national {
				want = ""
			}
			if got.Code != want {
				t.Errorf("ResolveAddress(%q) = %q (%s), want %q", addr, got.Code, got.Reason, want)
			}
		}
	}
}

func TestAddrLegacyCodes(t *testing.T) {
	for old, code := range addrLegacyCodes {
		if _, ok := weiquan.DivisionByCode(old); ok {
			t.Errorf("legacy code %s is still a current division", old)
		}
		if d, ok := weiquan.DivisionByCode(code); !ok || d.Level != weiquan.LevelCounty {
			t.Errorf("legacy code %s maps to %s, not a current county", old, code)
		}
	}
}

func BenchmarkResolveAddress(b *testing.B) {
	for b.Loop() {
		ResolveAddress("淘宝店铺 XX旗舰店 福建省厦门市湖里区高崎南五路88号")
	}
}

// FuzzResolveAddress: any text resolves to a Fujian county or to "", with a
// reason, and the resolver does not care about spaces.
func FuzzResolveAddress(f *testing.F) {
	for _, s := range []string{"福建省厦门市思明区湖滨南路", "南京鼓楼", "厦门市　思明区", "福州市场", "台湾金门县", "地址:晋江陈埭镇", "\xff鼓楼"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got := ResolveAddress(addr)
		if got.Reason == "" {
			t.Fatalf("ResolveAddress(%q) gave no reason", addr)
		}
		if got.Code != "" {
			if d, ok := weiquan.DivisionByCode(got.Code); !ok || d.Level != weiquan.LevelCounty {
				t.Fatalf("ResolveAddress(%q) = %q, not a Fujian county", addr, got.Code)
			}
		}
		if spaced := ResolveAddress(strings.Join(strings.Split(addr, ""), " ")); spaced.Code != got.Code {
			t.Fatalf("ResolveAddress(%q) = %q but with spaces %q", addr, got.Code, spaced.Code)
		}
	})
}

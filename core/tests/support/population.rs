// A synthetic population shaped like Shanghai's, for measuring how many people share what a
// record shows. Included by path into core/tests/anonymity.rs and examples/anonymity.rs.

use venuecode::id::IdNumber;

/// Surnames with rough weights (per mille), the common ones of Shanghai first; the rest of the
/// mass goes to a long tail of rarer ones.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72),
    ("张", 66),
    ("李", 62),
    ("陈", 58),
    ("徐", 42),
    ("朱", 40),
    ("沈", 38),
    ("顾", 30),
    ("陆", 30),
    ("周", 28),
    ("吴", 28),
    ("杨", 26),
    ("刘", 26),
    ("黄", 24),
    ("钱", 20),
    ("胡", 18),
    ("孙", 18),
    ("金", 16),
    ("蒋", 16),
    ("许", 15),
    ("姚", 14),
    ("施", 14),
    ("曹", 13),
    ("马", 12),
    ("赵", 12),
    ("高", 11),
    ("潘", 11),
    ("宋", 10),
    ("汤", 10),
    ("唐", 10),
    ("叶", 10),
    ("谢", 9),
    ("倪", 9),
    ("郁", 8),
    ("邱", 8),
    ("袁", 8),
    ("范", 8),
    ("严", 8),
    ("俞", 8),
    ("郑", 8),
    ("欧阳", 1),
    ("司马", 1),
    ("诸葛", 1),
    ("上官", 1),
];
/// Rarer surnames for the tail: each gets an equal share of what the list above leaves.
const RARE: &str = "毕卞邴蔡仓岑柴常晁车谌成程池褚崔戴邓狄刁丁董窦杜段樊方房费丰封冯伏符傅甘高葛耿龚巩谷关管桂郭韩杭郝何贺洪侯华滑宦黄惠霍姬吉纪季贾简江姜焦揭解靳经井景鞠阚康柯孔寇蒯匡邝赖蓝郎劳雷冷黎廉梁廖林凌柳龙娄卢鲁路栾罗骆吕麻满毛茅梅孟米糜苗闵明莫牟穆倪聂宁牛农欧庞裴彭皮蒲戚齐祁乔秦邱裘屈瞿全冉饶任荣茹阮芮桑单尚邵佘申盛石史舒束帅双水司松苏隋邰谈覃陶滕田童涂万汪危韦卫魏温文翁巫邬武伍奚席夏冼向项萧辛邢熊宿须宣薛荀闫颜晏燕羊阳仰尧冶易殷尹应雍尤游于余鱼虞宇禹郁喻元岳云臧曾翟詹湛章甄支钟仲竺祝卓宗邹祖左";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华红玉兰萍飞鹏辉建国斌宇浩凯健俊帆帅旭宁龙林阳波晨雪琳晶婷倩颖洁佳莉琴欣怡悦彤璐瑶雯文武海峰亮成康东南春秋冬梅竹松柏元正德仁义礼智信忠孝诚善美慧聪睿哲思远志坚毅勤俭荣耀祥瑞福禄寿喜乐安泰和顺兴旺昌盛富贵金银铜铁山水云月星辰天地人";
/// Shanghai's districts and their share of residents (per mille), and a share registered
/// elsewhere (divisions of other provinces).
const DISTRICTS: &[(u32, u32)] = &[
    (310101, 27),
    (310104, 45),
    (310105, 28),
    (310106, 38),
    (310107, 51),
    (310109, 31),
    (310110, 51),
    (310112, 100),
    (310113, 90),
    (310114, 73),
    (310115, 220),
    (310116, 33),
    (310117, 76),
    (310118, 47),
    (310120, 46),
    (310151, 28),
];
/// Per mille of people whose ID number names a division outside Shanghai.
const ELSEWHERE: u32 = 300;

/// xorshift64*.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        u32::try_from(self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % u64::from(n.max(1))).unwrap_or(0)
    }

    /// An item by weight (`None` past the listed weights).
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)], total: u32) -> Option<T> {
        let mut at = self.below(total);
        for &(item, w) in items {
            if at < w {
                return Some(item);
            }
            at -= w;
        }
        None
    }
}

fn id_number(division: u32, rng: &mut Rng) -> Option<IdNumber> {
    let year = 1930 + rng.below(91);
    let first17 = format!(
        "{division}{year}{:02}{:02}{:03}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    IdNumber::complete(&first17).ok()
}

/// One synthetic person: a name and a valid ID number.
pub struct Person {
    /// The full name.
    pub name: String,
    /// The surname.
    pub surname: String,
    /// The ID number.
    pub id: IdNumber,
}

/// `n` people, deterministically from `seed`.
pub fn population(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed);
    let rare: Vec<String> = RARE.chars().map(String::from).collect();
    let given: Vec<char> = GIVEN.chars().collect();
    let shanghai: u32 = DISTRICTS.iter().map(|d| d.1).sum();
    let mut people = Vec::with_capacity(n);
    while people.len() < n {
        let surname = rng
            .weighted(SURNAMES, 1000)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                rare[rng.below(u32::try_from(rare.len()).unwrap_or(1)) as usize].clone()
            });
        let mut name = surname.clone();
        for _ in 0..(1 + u32::from(rng.below(10) < 7)) {
            name.push(given[rng.below(u32::try_from(given.len()).unwrap_or(1)) as usize]);
        }
        let division = if rng.below(1000) < ELSEWHERE {
            // Another province: one of some 330 divisions, uniformly.
            (11 + rng.below(55)) * 10_000 + (1 + rng.below(6)) * 100 + 1
        } else {
            rng.weighted(DISTRICTS, shanghai).unwrap_or(310115)
        };
        if let Some(id) = id_number(division, &mut rng) {
            people.push(Person { name, surname, id });
        }
    }
    people
}

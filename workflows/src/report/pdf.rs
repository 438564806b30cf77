//! The report as a PDF: real text (extractable and searchable: an embedded, subset font with a
//! Unicode map), tagged (headings, paragraphs and lists in reading order, page furniture marked
//! as artifacts), on A5 pages in one column so it reads on a phone.
//!
//! krilla (by the typst authors) writes the PDF; it does not lay text out, so this module does:
//! it measures words with the font's own advance widths (skrifa), wraps them first-fit
//! (textwrap), breaks pages (keeping headings with what follows), then paints each page. The
//! DejaVu Sans font files are compiled into the binary (`workflows/fonts/`, with their licence):
//! nothing is read or downloaded at run time.

use std::num::NonZeroU16;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, Node, SpanTag, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use textwrap::core::Fragment;

use super::render::{ReportDocument, paragraphs, rgb as colour_rgb};

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A5 portrait, in points.
const PAGE_WIDTH: f32 = 419.53;
const PAGE_HEIGHT: f32 = 595.28;
const MARGIN_X: f32 = 36.0;
const MARGIN_TOP: f32 = 40.0;
const MARGIN_BOTTOM: f32 = 48.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
/// Where list item text starts, after its bullet or number.
const LIST_INDENT: f32 = 16.0;
/// The width of the facts' label column.
const FACT_LABEL_WIDTH: f32 = 78.0;
const BAND_HEIGHT: f32 = 44.0;

const TEXT_COLOUR: (u8, u8, u8) = (0x0b, 0x0c, 0x0c);
/// GOV.UK's secondary text colour: 7:1 on white.
const QUIET_COLOUR: (u8, u8, u8) = (0x50, 0x5a, 0x5f);
const RED: (u8, u8, u8) = (0xd4, 0x35, 0x1c);

#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// The kinds of text on a report's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Band,
    Title,
    Heading,
    Subheading,
    Body,
    Label,
    Footer,
}

impl Style {
    fn bold(self) -> bool {
        matches!(
            self,
            Style::Band | Style::Title | Style::Heading | Style::Subheading | Style::Label
        )
    }

    fn size(self) -> f32 {
        match self {
            Style::Band => 12.0,
            Style::Title => 18.0,
            Style::Heading => 14.0,
            Style::Subheading => 11.5,
            Style::Body | Style::Label => 10.5,
            Style::Footer => 8.0,
        }
    }

    /// The height of one line.
    fn leading(self) -> f32 {
        match self {
            Style::Title => 23.0,
            Style::Heading => 19.0,
            Style::Footer => 10.0,
            _ => self.size() * 1.45,
        }
    }
}

/// A font and what is needed to measure text in it.
struct Face {
    font: Font,
    charmap: skrifa::charmap::Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn new(bytes: &'static [u8]) -> Result<Self, PdfError> {
        let bad = || PdfError("the bundled font is unreadable".into());
        let font_ref = FontRef::new(bytes).map_err(|_| bad())?;
        let units_per_em = f32::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Ok(Self {
            font: Font::new(bytes.to_vec().into(), 0).ok_or_else(bad)?,
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| {
                self.metrics
                    .advance_width(self.charmap.map(c).unwrap_or_default())
                    .unwrap_or(0.0)
            })
            .sum();
        units * size / self.units_per_em
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: Face::new(REGULAR)?,
            bold: Face::new(BOLD)?,
        })
    }

    fn of(&self, style: Style) -> &Face {
        if style.bold() {
            &self.bold
        } else {
            &self.regular
        }
    }
}

/// One word (or piece of a word too long for a line) with its measured width.
#[derive(Debug)]
struct Piece<'a> {
    word: &'a str,
    space: &'a str,
    width: f64,
    space_width: f64,
}

impl Fragment for Piece<'_> {
    fn width(&self) -> f64 {
        self.width
    }
    fn whitespace_width(&self) -> f64 {
        self.space_width
    }
    fn penalty_width(&self) -> f64 {
        0.0
    }
}

/// `text`'s lines when set in `style` at most `width` wide: its own line breaks kept, long
/// lines wrapped at spaces, and a word longer than a line broken between characters.
fn wrap(faces: &Faces, style: Style, text: &str, width: f32) -> Vec<String> {
    let face = faces.of(style);
    let size = style.size();
    let mut lines: Vec<String> = Vec::new();
    for (segment, line) in text.split('\n').enumerate() {
        // A line the writer ended is a word break too.
        if segment > 0
            && let Some(previous) = lines.last_mut().filter(|l| !l.ends_with(' '))
        {
            previous.push(' ');
        }
        let line = line.replace('\t', " ");
        let mut pieces = Vec::new();
        for word in textwrap::WordSeparator::AsciiSpace.find_words(&line) {
            let space_width = f64::from(face.width(word.whitespace, size));
            let word_width = face.width(word.word, size);
            if word_width <= width {
                pieces.push(Piece {
                    word: word.word,
                    space: word.whitespace,
                    width: f64::from(word_width),
                    space_width,
                });
                continue;
            }
            let mut start = 0;
            let mut piece_width = 0.0;
            for (i, c) in word.word.char_indices() {
                let w = face.width(c.encode_utf8(&mut [0; 4]), size);
                if piece_width + w > width && i > start {
                    pieces.push(Piece {
                        word: &word.word[start..i],
                        space: "",
                        width: f64::from(piece_width),
                        space_width: 0.0,
                    });
                    start = i;
                    piece_width = 0.0;
                }
                piece_width += w;
            }
            pieces.push(Piece {
                word: &word.word[start..],
                space: word.whitespace,
                width: f64::from(piece_width),
                space_width,
            });
        }
        if pieces.is_empty() {
            lines.push(String::new());
            continue;
        }
        let wrapped = textwrap::wrap_algorithms::wrap_first_fit(&pieces, &[f64::from(width)]);
        let count = wrapped.len();
        for (n, line) in wrapped.into_iter().enumerate() {
            let mut text = String::new();
            for (i, piece) in line.iter().enumerate() {
                text.push_str(piece.word);
                // The space a line ends at stays in the text (it is invisible), so copying,
                // searching and screen readers see words, not words run together.
                if i + 1 < line.len() || n + 1 < count {
                    text.push_str(piece.space);
                }
            }
            lines.push(text);
        }
    }
    lines
}

/// Something painted on a page. `tag` is the leaf tag group the text belongs to (`None`:
/// page furniture, an artifact).
#[derive(Debug)]
enum Op {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        colour: (u8, u8, u8),
        text: String,
        tag: Option<usize>,
    },
    Rect {
        rect: Rect,
        colour: (u8, u8, u8),
    },
}

/// A tag group of the structure tree, by index; children follow their parent.
struct TagSpec {
    kind: TagKind,
    parent: Option<usize>,
}

/// The report laid out: pages of operations, and the structure they belong to.
struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Op>>,
    /// The top of the next line on the current page.
    y: f32,
    tags: Vec<TagSpec>,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces) -> Self {
        Self {
            faces,
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            tags: Vec::new(),
        }
    }

    fn group(&mut self, kind: impl Into<TagKind>, parent: Option<usize>) -> usize {
        self.tags.push(TagSpec {
            kind: kind.into(),
            parent,
        });
        self.tags.len() - 1
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - MARGIN_BOTTOM && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    fn space(&mut self, height: f32) {
        if self.y > MARGIN_TOP {
            self.y += height;
        }
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    fn line(&mut self, x: f32, style: Style, colour: (u8, u8, u8), text: String, tag: usize) {
        self.ensure(style.leading());
        let baseline = self.y + (style.leading() - style.size()) / 2.0 + style.size() * 0.8;
        self.push(Op::Text {
            x,
            baseline,
            style,
            colour,
            text,
            tag: Some(tag),
        });
        self.y += style.leading();
    }

    /// A paragraph, wrapped to the width left after `indent`, under tag group `tag`.
    fn text(&mut self, indent: f32, style: Style, text: &str, tag: usize) {
        for line in wrap(self.faces, style, text, CONTENT_WIDTH - indent) {
            self.line(MARGIN_X + indent, style, TEXT_COLOUR, line, tag);
        }
    }

    /// Paragraphs (split at blank lines), each its own `P` under `parent`.
    fn paragraphs(&mut self, indent: f32, text: &str, parent: Option<usize>, gap: f32) {
        for (i, para) in paragraphs(text).into_iter().enumerate() {
            if i > 0 {
                self.space(gap);
            }
            let p = self.group(Tag::P, parent);
            self.text(indent, Style::Body, para, p);
        }
    }

    /// A level-3 heading inside a list item's body, and the paragraphs under it (kept with at
    /// least two lines of them).
    fn labelled_paragraphs(&mut self, body: usize, label: &str, text: &str) {
        let heading = self.group(
            Tag::Hn(NonZeroU16::new(3).expect("3"), Some(label.into())),
            Some(body),
        );
        self.ensure(Style::Label.leading() + 2.0 * Style::Body.leading());
        self.line(
            MARGIN_X + LIST_INDENT,
            Style::Label,
            TEXT_COLOUR,
            label.into(),
            heading,
        );
        self.paragraphs(LIST_INDENT, text, Some(body), 3.0);
    }

    /// A heading kept with at least two lines of what follows it.
    fn heading(
        &mut self,
        level: u16,
        style: Style,
        text: &str,
        parent: Option<usize>,
        rule: Option<(u8, u8, u8)>,
    ) {
        let lines = wrap(self.faces, style, text, CONTENT_WIDTH);
        let height = lines.len() as f32 * style.leading() + 2.0 * Style::Body.leading() + 8.0;
        self.ensure(height);
        let tag = self.group(
            Tag::Hn(
                NonZeroU16::new(level).expect("levels start at 1"),
                Some(text.to_owned()),
            ),
            parent,
        );
        for line in lines {
            self.line(MARGIN_X, style, TEXT_COLOUR, line, tag);
        }
        if let Some(colour) = rule {
            let rect =
                Rect::from_xywh(MARGIN_X, self.y + 1.0, CONTENT_WIDTH, 2.0).expect("positive");
            self.push(Op::Rect { rect, colour });
            self.y += 7.0;
        }
    }

    /// A list item: its label (a bullet or a number), then its body's paragraphs beside it.
    fn list_item(&mut self, list: usize, label: &str, body: &str) -> usize {
        let item = self.group(Tag::LI, Some(list));
        let lbl = self.group(Tag::Lbl, Some(item));
        let lbody = self.group(Tag::LBody, Some(item));
        // The label sits on the first line of the body, so both move to a new page together.
        self.ensure(Style::Body.leading());
        let first_line_y = self.y;
        let baseline = first_line_y
            + (Style::Body.leading() - Style::Body.size()) / 2.0
            + Style::Body.size() * 0.8;
        self.push(Op::Text {
            x: MARGIN_X + 2.0,
            baseline,
            style: Style::Body,
            colour: TEXT_COLOUR,
            text: label.to_owned(),
            tag: Some(lbl),
        });
        self.paragraphs(LIST_INDENT, body, Some(lbody), 3.0);
        lbody
    }
}

/// Renders `doc` as a tagged PDF.
pub fn render(doc: &ReportDocument<'_>) -> Result<Vec<u8>, PdfError> {
    let faces = Faces::load()?;
    let mut layout = Layout::new(&faces);
    let brand = colour_rgb(&doc.primary_colour);
    let on_brand = match doc.on_primary_colour() {
        "#ffffff" => (255, 255, 255),
        _ => TEXT_COLOUR,
    };

    // The programme's band across the top of the first page.
    layout.push(Op::Rect {
        rect: Rect::from_xywh(0.0, 0.0, PAGE_WIDTH, BAND_HEIGHT).expect("positive"),
        colour: brand,
    });
    layout.push(Op::Text {
        x: MARGIN_X,
        baseline: BAND_HEIGHT / 2.0 + Style::Band.size() * 0.35,
        style: Style::Band,
        colour: on_brand,
        text: doc.programme_name.clone(),
        tag: None,
    });
    layout.y = BAND_HEIGHT + 20.0;

    layout.heading(1, Style::Title, &doc.title(), None, None);
    layout.space(4.0);
    for (label, value) in doc.facts() {
        let p = layout.group(Tag::P, None);
        layout.ensure(Style::Body.leading());
        let top = layout.y;
        layout.line(MARGIN_X, Style::Label, TEXT_COLOUR, label.to_owned(), p);
        layout.y = top;
        for line in wrap(
            &faces,
            Style::Body,
            &value,
            CONTENT_WIDTH - FACT_LABEL_WIDTH,
        ) {
            layout.line(
                MARGIN_X + FACT_LABEL_WIDTH,
                Style::Body,
                TEXT_COLOUR,
                line,
                p,
            );
        }
        layout.y += 2.0;
    }
    if doc.is_draft() {
        layout.space(6.0);
        let p = layout.group(Tag::P, None);
        for line in wrap(
            &faces,
            Style::Label,
            "Draft for the school to check for factual accuracy.",
            CONTENT_WIDTH,
        ) {
            layout.line(MARGIN_X, Style::Label, RED, line, p);
        }
    }

    let heading_gap = 16.0;
    if doc.report.is_follow_up() {
        layout.space(heading_gap);
        let section = layout.group(Tag::Section, None);
        layout.heading(
            2,
            Style::Heading,
            super::PROGRESS_HEADING,
            Some(section),
            Some(brand),
        );
        let list = layout.group(Tag::L(ListNumbering::Decimal), Some(section));
        for (i, progress) in doc.report.progress.iter().enumerate() {
            let body = layout.list_item(
                list,
                &format!("{}.", i + 1),
                progress.recommendation.as_str(),
            );
            layout.space(3.0);
            let rating = progress.rating.map_or("Not given", |r| r.label());
            let p = layout.group(Tag::P, Some(body));
            layout.text(LIST_INDENT, Style::Label, &format!("Progress: {rating}"), p);
            layout.space(3.0);
            layout.labelled_paragraphs(
                body,
                "Progress seen",
                progress.seen.as_ref().map_or("None given.", |s| s.as_str()),
            );
            layout.space(8.0);
        }
    }
    for findings in &doc.report.areas {
        layout.space(heading_gap);
        let section = layout.group(Tag::Section, None);
        layout.heading(
            2,
            Style::Heading,
            &findings.heading(),
            Some(section),
            Some(brand),
        );
        if let Some(judgement) = &findings.judgement {
            let p = layout.group(Tag::P, Some(section));
            layout.text(0.0, Style::Label, &format!("Judgement: {judgement}"), p);
            layout.space(4.0);
        }
        for (title, points) in [
            ("What went well", &findings.went_well),
            ("Even better if", &findings.even_better_if),
        ] {
            layout.space(6.0);
            layout.heading(3, Style::Subheading, title, Some(section), None);
            if points.is_empty() {
                layout.paragraphs(0.0, "None given.", Some(section), 0.0);
                continue;
            }
            let list = layout.group(Tag::L(ListNumbering::Disc), Some(section));
            for point in points {
                layout.list_item(list, "•", point.as_str());
                layout.space(3.0);
            }
        }
        layout.space(6.0);
        layout.heading(3, Style::Subheading, "Evidence seen", Some(section), None);
        let evidence = findings
            .evidence
            .as_ref()
            .map_or("None given.", |e| e.as_str());
        layout.paragraphs(0.0, evidence, Some(section), 5.0);
    }

    layout.space(heading_gap);
    let section = layout.group(Tag::Section, None);
    layout.heading(2, Style::Heading, "Summary", Some(section), Some(brand));
    let summary = doc
        .report
        .summary
        .as_ref()
        .map_or("None given.", |s| s.as_str());
    layout.paragraphs(0.0, summary, Some(section), 5.0);

    layout.space(heading_gap);
    let section = layout.group(Tag::Section, None);
    layout.heading(
        2,
        Style::Heading,
        doc.recommendations_heading(),
        Some(section),
        Some(brand),
    );
    if doc.report.recommendations.is_empty() {
        layout.paragraphs(0.0, "None given.", Some(section), 0.0);
    } else {
        let list = layout.group(Tag::L(ListNumbering::Decimal), Some(section));
        for (i, recommendation) in doc.report.recommendations.iter().enumerate() {
            let body =
                layout.list_item(list, &format!("{}.", i + 1), recommendation.action.as_str());
            if let Some(steps) = &recommendation.next_steps {
                layout.space(3.0);
                layout.labelled_paragraphs(body, "Suggested next steps", steps.as_str());
            }
            layout.space(8.0);
        }
    }

    paint(doc, &faces, layout)
}

fn fill(colour: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Fill::default()
    }
}

fn draw_text(
    surface: &mut Surface<'_>,
    faces: &Faces,
    x: f32,
    baseline: f32,
    style: Style,
    colour: (u8, u8, u8),
    text: &str,
) {
    surface.set_fill(Some(fill(colour)));
    surface.draw_text(
        Point::from_xy(x, baseline),
        faces.of(style).font.clone(),
        style.size(),
        text,
        false,
        TextDirection::LeftToRight,
    );
}

fn paint(doc: &ReportDocument<'_>, faces: &Faces, layout: Layout<'_>) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new_with(SerializeSettings {
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    let date = doc.report_date;
    document.set_metadata(
        Metadata::new()
            .title(doc.title())
            .language("en-GB".into())
            .creator(doc.programme_name.clone())
            .authors(doc.reviewers.iter().map(|r| r.name.clone()).collect())
            .creation_date(
                DateTime::new(date.year().clamp(0, 9999) as u16)
                    .month(date.month() as u8)
                    .day(date.day()),
            ),
    );
    let mut identifiers: Vec<Vec<Identifier>> = vec![Vec::new(); layout.tags.len()];
    let pages = layout.pages.len();
    let footer = format!("{} · {}", doc.programme_name, doc.school_name);
    for (index, ops) in layout.pages.iter().enumerate() {
        let mut page = document.start_page_with(
            PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("positive page size"),
        );
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    style,
                    colour,
                    text,
                    tag,
                } => {
                    let content = match tag {
                        Some(_) => ContentTag::Span(SpanTag::empty()),
                        None => ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)),
                    };
                    let id = surface.start_tagged(content);
                    draw_text(&mut surface, faces, *x, *baseline, *style, *colour, text);
                    surface.end_tagged();
                    if let Some(tag) = tag {
                        identifiers[*tag].push(id);
                    }
                }
                Op::Rect { rect, colour } => {
                    let mut path = PathBuilder::new();
                    path.push_rect(*rect);
                    let Some(path) = path.finish() else { continue };
                    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Layout,
                    )));
                    surface.set_fill(Some(fill(*colour)));
                    surface.draw_path(&path);
                    surface.end_tagged();
                }
            }
        }
        // The footer: who the report is for, and where the reader is.
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Footer,
        )));
        let baseline = PAGE_HEIGHT - MARGIN_BOTTOM / 2.0;
        let footer_line = wrap(faces, Style::Footer, &footer, CONTENT_WIDTH - 70.0)
            .into_iter()
            .next()
            .unwrap_or_default();
        draw_text(
            &mut surface,
            faces,
            MARGIN_X,
            baseline,
            Style::Footer,
            QUIET_COLOUR,
            &footer_line,
        );
        let number = format!("Page {} of {pages}", index + 1);
        let width = faces.of(Style::Footer).width(&number, Style::Footer.size());
        draw_text(
            &mut surface,
            faces,
            PAGE_WIDTH - MARGIN_X - width,
            baseline,
            Style::Footer,
            QUIET_COLOUR,
            &number,
        );
        surface.end_tagged();
        surface.finish();
        page.finish();
    }
    document.set_tag_tree(tag_tree(layout.tags, identifiers));
    document.finish().map_err(|e| PdfError(format!("{e:?}")))
}

/// Builds the structure tree: each group holds its content, then its child groups, in order.
fn tag_tree(tags: Vec<TagSpec>, mut identifiers: Vec<Vec<Identifier>>) -> TagTree {
    let mut children: Vec<Vec<Node>> = (0..tags.len()).map(|_| Vec::new()).collect();
    let mut roots = Vec::new();
    // Children always come after their parent: build from the last group back.
    let mut built: Vec<Option<TagGroup>> = (0..tags.len()).map(|_| None).collect();
    for (index, spec) in tags.iter().enumerate().rev() {
        let mut nodes: Vec<Node> = std::mem::take(&mut identifiers[index])
            .into_iter()
            .map(Node::from)
            .collect();
        let mut own = std::mem::take(&mut children[index]);
        own.reverse();
        nodes.extend(own);
        let group = TagGroup::with_children(spec.kind.clone(), nodes);
        match spec.parent {
            Some(parent) => children[parent].push(Node::Group(group)),
            None => built[index] = Some(group),
        }
    }
    let mut tree = TagTree::new().with_lang(Some("en-GB".into()));
    for group in built.into_iter().flatten() {
        roots.push(group);
    }
    for group in roots {
        tree.push(group);
    }
    tree
}

//! PDF reports: the pages `domain::report` draws as SVG, turned into a PDF by krilla (usvg reads
//! each page, krilla-svg draws it with its text as real, selectable PDF text), with DejaVu Sans
//! embedded (subset to the glyphs used). Nothing is fetched at run time: the font is in the binary.

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt, SvgSettings};

use super::export::Download;
use super::{accounts, stats, teams};
use crate::domain::layouts::KeyboardLayout;
use crate::domain::range::RangeQuery;
use crate::domain::report::{FONT, PAGE_HEIGHT, PAGE_WIDTH, ReportTitle, personal_pages, team_pages};
use crate::server::error::AppError;
use crate::server::store::Database;

/// How usvg reads the pages: with the embedded font and nothing else (no system fonts, no files).
static SVG_OPTIONS: LazyLock<usvg::Options<'static>> = LazyLock::new(|| {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.load_font_data(dejavu::sans::bold().to_vec());
    usvg::Options { font_family: FONT.to_string(), fontdb: Arc::new(fonts), ..usvg::Options::default() }
});

/// The PDF of these pages (SVG documents of one A4 page each).
pub fn render_pdf(pages: &[String], title: &str) -> Result<Vec<u8>, AppError> {
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_WIDTH as f32, PAGE_HEIGHT as f32)
        .ok_or_else(|| AppError::internal("the report's page size"))?;
    for svg in pages {
        let tree =
            usvg::Tree::from_str(svg, &SVG_OPTIONS).map_err(|e| AppError::internal(format!("a report page: {e}")))?;
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let size = krilla::geom::Size::from_wh(tree.size().width(), tree.size().height())
            .ok_or_else(|| AppError::internal("a report page has no size"))?;
        surface
            .draw_svg(&tree, size, SvgSettings::default())
            .ok_or_else(|| AppError::internal("a report page could not be drawn"))?;
        surface.finish();
        page.finish();
    }
    document.set_metadata(Metadata::new().title(title.to_string()).creator("KeyTrack".to_string()));
    document.finish().map_err(|e| AppError::internal(format!("the report's PDF: {e:?}")))
}

fn made_at(timezone: &str, now: i64) -> String {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Renders on a blocking thread (a year's report is CPU work) and hands the PDF out as a download.
async fn pdf_download(pages: Vec<String>, title: String, filename: String) -> Result<Download, AppError> {
    let pdf = tokio::task::spawn_blocking(move || {
        let pdf = render_pdf(&pages, &title);
        crate::server::memory::give_back_freed();
        pdf
    })
    .await
    .map_err(AppError::internal)??;
    Ok(Download::whole(filename, pdf))
}

/// The user's report over what the query asks (the dashboard's range rule).
pub async fn own_report(database: &Database, user_id: i64, query: &RangeQuery, now: i64) -> Result<Download, AppError> {
    let account = accounts::account(database, user_id).await?;
    let stats = stats::stats_for_query(database, user_id, query, now).await?;
    let screens = stats::heatmaps_for_query(database, user_id, query, now).await?;
    let who = if account.display_name.is_empty() {
        account.email.clone()
    } else {
        format!("{} ({})", account.display_name, account.email)
    };
    let title = ReportTitle {
        who,
        clock: format!("{}, each day starting at {:02}:00", account.timezone, account.day_start_hour),
        made: made_at(&account.timezone, now),
        layout: KeyboardLayout::or_us(&account.keyboard_layout),
    };
    let pages = personal_pages(&title, &stats, &screens);
    let filename = format!("keytrack-report-{}-to-{}.pdf", stats.from, stats.to);
    pdf_download(pages, format!("KeyTrack report {} to {}", stats.from, stats.to), filename).await
}

/// A team's report: what the team dashboard shows this member, no more.
pub async fn team_report(
    database: &Database,
    team_id: i64,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<Download, AppError> {
    let stats = teams::stats(database, team_id, user_id, query, now).await?;
    let account = accounts::account(database, user_id).await?;
    let title = ReportTitle {
        who: account.email.clone(),
        clock: String::new(),
        made: made_at(&account.timezone, now),
        layout: KeyboardLayout::or_us(&account.keyboard_layout),
    };
    let pages = team_pages(&title, &stats);
    let filename = format!("keytrack-team-{team_id}-report-{}-to-{}.pdf", stats.from, stats.to);
    pdf_download(pages, format!("KeyTrack team report: {}", stats.team_name), filename).await
}

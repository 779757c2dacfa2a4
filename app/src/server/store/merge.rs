//! An upload merged into what is stored: the work between reading the stored rows an upload
//! touches and writing the new ones, the same for both engines (`sqlite::uploads` and
//! `postgres::uploads` read and write; this decides what). Each minute record replaces any earlier
//! copy of the same device and minute, each block any earlier copy of the same device and start,
//! and the day rollups follow (`rollups::DayRollups`), so sending a batch twice changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use keytrack_wire::data::AgentIdentity;
use keytrack_wire::{ActivityBatch, DisplayPlace, HourBlock, IngestReceipt};

use super::activity::{BlockRow, HourRecords, HourRow, RecordCodec};
use super::days::{DayRow, ScreenRow};
use super::rollups::DayRollups;
use super::users::never_count_list;
use crate::domain::time::UserClock;
use crate::server::error::AppError;

/// Who sent an upload, as far as the devices page cares: the token it came with (none for a
/// session, the demo or an import) and what the agent said of itself in its `User-Agent`.
#[derive(Debug, Clone, Default)]
pub struct UploadSource {
    pub token_id: Option<i64>,
    pub agent: Option<AgentIdentity>,
    /// How the agent captures (its `KeyTrack-Capture` header), when it says.
    pub capture: Option<String>,
}

/// An upload ready to store: valid, its blocks encoded and its minute records grouped by hour (the
/// work that needs no database, done on the request's own task so that one core encodes the next
/// upload while the database stores this one).
pub struct Upload {
    pub(super) user_id: i64,
    pub(super) source: UploadSource,
    /// The batch without its minute records, which are in `hours`.
    pub(super) batch: ActivityBatch,
    hours: Vec<HourRecords>,
    block_bytes: Vec<Vec<u8>>,
    pub(super) now: i64,
}

impl Upload {
    /// A valid batch (checked by the caller, `services::ingest`), ready to store.
    pub fn prepare(user_id: i64, source: UploadSource, mut batch: ActivityBatch, now: i64) -> Result<Upload, AppError> {
        batch.drop_legacy_detail();
        // Minute records are encoded by the hour later, merged with what the hour holds already.
        let block_bytes = RecordCodec::with(|codec| batch.blocks.iter().map(|block| codec.encode(block)).collect())
            .map_err(AppError::internal)?;
        let hours = HourRecords::group(std::mem::take(&mut batch.minutes));
        Ok(Upload { user_id, source, batch, hours, block_bytes, now })
    }

    pub(super) fn hour_starts(&self) -> Vec<i64> {
        self.hours.iter().map(|h| h.hour).collect()
    }

    pub(super) fn block_starts(&self) -> Vec<i64> {
        self.batch.blocks.iter().map(|b| b.start).collect()
    }
}

fn decode<T: serde::de::DeserializeOwned>(stored: &[u8]) -> Result<T, AppError> {
    RecordCodec::with(|codec| codec.decode(stored)).map_err(AppError::internal)
}

/// What an upload reads before it merges: its user's clock and never-count list, its device, the
/// stored hours it falls in (every device's) and the stored copies of its blocks. A few statements
/// for the whole batch rather than a few a record.
pub(super) struct Stored {
    pub(super) timezone: String,
    pub(super) day_start_hour: u8,
    pub(super) never_count: String,
    pub(super) device_id: i64,
    /// (device, hour, records as stored)
    pub(super) hours: Vec<(i64, i64, Vec<u8>)>,
    /// This device's blocks with the upload's starts, encoded, by start.
    pub(super) blocks: HashMap<i64, Vec<u8>>,
}

/// An upload with what it replaces, waiting for the stored rollups of the days it changes.
pub(super) struct Merging {
    upload: Upload,
    days: DayRollups,
    device_id: i64,
    never_count: String,
    /// This device's stored hours, to merge into.
    own: HashMap<i64, HourRecords>,
    /// The other devices' active seconds, by minute.
    others: HashMap<i64, Vec<u32>>,
    old_blocks: HashMap<i64, HourBlock>,
    /// The days whose stored rollups the merge changes.
    pub(super) need_days: Vec<NaiveDate>,
    /// The days' displays whose stored grids the merge changes.
    pub(super) need_screens: Vec<(NaiveDate, DisplayPlace)>,
}

impl Merging {
    pub(super) fn new(upload: Upload, stored: Stored) -> Result<Merging, AppError> {
        let days =
            DayRollups::new(UserClock::stored(&stored.timezone, stored.day_start_hour).map_err(AppError::internal)?);
        let mut own: HashMap<i64, HourRecords> = HashMap::new();
        let mut others: HashMap<i64, Vec<u32>> = HashMap::new();
        for (device, hour, bytes) in stored.hours {
            let hour_records = HourRecords::decode(hour, &bytes).map_err(AppError::internal)?;
            if device == stored.device_id {
                own.insert(hour, hour_records);
            } else {
                for record in hour_records.records {
                    others.entry(record.minute).or_default().push(record.active_seconds);
                }
            }
        }
        let old_blocks: HashMap<i64, HourBlock> =
            stored.blocks.iter().map(|(start, bytes)| Ok((*start, decode(bytes)?))).collect::<Result<_, AppError>>()?;
        let minutes = upload.hours.iter().flat_map(|h| h.records.iter().map(|r| r.minute));
        let (need_days, need_screens) = days.needs(minutes, upload.batch.blocks.iter().chain(old_blocks.values()));
        Ok(Merging {
            upload,
            days,
            device_id: stored.device_id,
            never_count: stored.never_count,
            own,
            others,
            old_blocks,
            need_days,
            need_screens,
        })
    }

    /// Merges, given the stored rollups of [`Merging::need_days`] (by day, `YYYY-MM-DD`) and the
    /// grids of [`Merging::need_screens`] (clicks, moves; `None` where none is stored yet).
    pub(super) fn finish(
        mut self,
        stored_days: HashMap<String, Vec<u8>>,
        stored_screens: StoredScreens,
    ) -> Result<Merged, AppError> {
        for day in std::mem::take(&mut self.need_days) {
            self.days.load_day(day, stored_days.get(&day.to_string()).map(Vec::as_slice))?;
        }
        for (key, stored) in stored_screens {
            self.days.load_screen(key, stored.as_ref().map(|(c, m)| (c.as_slice(), m.as_slice())));
        }
        let (mut accepted, mut replaced) = (0u32, 0u32);
        let mut hours = Vec::with_capacity(self.upload.hours.len());
        for new in std::mem::take(&mut self.upload.hours) {
            let mut hour =
                self.own.remove(&new.hour).unwrap_or_else(|| HourRecords { hour: new.hour, records: Vec::new() });
            for record in new.records {
                let others = self.others.get(&record.minute).map_or(&[][..], Vec::as_slice);
                self.days.replace(others, hour.get(record.minute), &record);
                accepted += 1;
                replaced += u32::from(hour.replace(record).is_some());
            }
            hours.push(hour);
        }
        for block in &self.upload.batch.blocks {
            self.days.replace_block(self.old_blocks.get(&block.start), block);
        }
        let hour_bytes =
            hours.iter().map(|hour| hour.encode().map_err(AppError::internal)).collect::<Result<_, _>>()?;
        let (day_rows, screen_rows) = self.days.into_rows()?;
        let receipt = IngestReceipt {
            accepted,
            replaced,
            blocks: u32::try_from(self.upload.batch.blocks.len()).unwrap_or(u32::MAX),
            never_count: Some(never_count_list(&self.never_count)),
        };
        Ok(Merged {
            device_id: self.device_id,
            hours,
            hour_bytes,
            blocks: std::mem::take(&mut self.upload.batch.blocks),
            block_bytes: self.upload.block_bytes,
            day_rows,
            screen_rows,
            receipt,
        })
    }
}

/// Stored grids of displays (clicks, moves) by day and display; `None` where none is stored yet.
pub(super) type StoredScreens = Vec<((NaiveDate, DisplayPlace), Option<(Vec<u8>, Vec<u8>)>)>;

/// An upload merged: the rows to write, and what to answer once they are written.
pub(super) struct Merged {
    pub(super) device_id: i64,
    pub(super) hours: Vec<HourRecords>,
    pub(super) hour_bytes: Vec<Vec<u8>>,
    pub(super) blocks: Vec<HourBlock>,
    pub(super) block_bytes: Vec<Vec<u8>>,
    pub(super) day_rows: Vec<DayRow>,
    pub(super) screen_rows: Vec<ScreenRow>,
    pub(super) receipt: IngestReceipt,
}

impl Merged {
    pub(super) fn hour_rows(&self) -> Vec<HourRow<'_>> {
        self.hours.iter().zip(&self.hour_bytes).map(|(hour, encoded)| HourRow { hour, encoded }).collect()
    }

    pub(super) fn block_rows(&self) -> Vec<BlockRow<'_>> {
        self.blocks.iter().zip(&self.block_bytes).map(|(block, encoded)| BlockRow { block, encoded }).collect()
    }
}

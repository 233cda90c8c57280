//! Map states: items, item selector, processor, concurrency, tolerated
//! failures and the distributed-mode fields.

use serde_json::{Map, Value};

use super::{Parser, fields, parse_graph};
use crate::definition::model::*;
use crate::jsonata_template::expression_text;

pub(crate) fn map(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    loc: &str,
    language: QueryLanguage,
) -> Option<MapState> {
    let (processor_value, processor_key) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
        (Some(p), None) => (p, "ItemProcessor"),
        (None, Some(i)) => (i, "Iterator"),
        (Some(_), Some(_)) => {
            parser.schema("The fields 'ItemProcessor' and 'Iterator' are mutually exclusive", loc);
            return None;
        }
        (None, None) => {
            parser.schema("These fields are required: [ItemProcessor]", loc);
            return None;
        }
    };
    let ploc = format!("{loc}/{processor_key}");
    let Some(pobj) = processor_value.as_object() else {
        parser.schema(
            format!("The value for the field '{processor_key}' must be an OBJECT"),
            &ploc,
        );
        return None;
    };
    fields::reject_unknown(
        parser,
        pobj,
        &["StartAt", "States", "Comment", "ProcessorConfig", "QueryLanguage"],
        &ploc,
    );
    let mode = processor_mode(parser, pobj, &ploc);
    let machine_language = parser.machine_language;
    let processor = parse_graph(parser, pobj, &ploc, machine_language);

    let items = match language {
        QueryLanguage::JsonPath => match obj.get("ItemsPath") {
            None => MapItems::Path(OptionalPathOrWhole::Whole),
            Some(v) => MapItems::Path(OptionalPathOrWhole::Path(fields::json_path(
                parser,
                v,
                "ItemsPath",
                loc,
            )?)),
        },
        QueryLanguage::Jsonata => match obj.get("Items") {
            None => MapItems::Path(OptionalPathOrWhole::Whole),
            Some(v) => {
                if !(v.is_array() || v.as_str().is_some_and(|s| expression_text(s).is_some())) {
                    parser.schema(
                        "The value for the field 'Items' must be an ARRAY or a JSONata expression",
                        &format!("{loc}/Items"),
                    );
                    return None;
                }
                MapItems::Jsonata(fields::jsonata(parser, v, "Items", loc)?)
            }
        },
    };
    let item_selector = match (obj.get("ItemSelector"), obj.get("Parameters")) {
        (Some(_), Some(_)) => {
            parser.schema("The fields 'ItemSelector' and 'Parameters' are mutually exclusive", loc);
            return None;
        }
        (Some(v), None) => match language {
            QueryLanguage::JsonPath => Some(ItemSelector::JsonPath(fields::payload(parser, v, "ItemSelector", loc)?)),
            QueryLanguage::Jsonata => Some(ItemSelector::Jsonata(fields::jsonata(parser, v, "ItemSelector", loc)?)),
        },
        (None, Some(v)) => Some(ItemSelector::JsonPath(fields::payload(parser, v, "Parameters", loc)?)),
        (None, None) => None,
    };
    let max_concurrency = fields::dynamic_int(parser, obj, "MaxConcurrency", loc, language, 0, i64::from(u32::MAX))
        .unwrap_or(Dynamic::Literal(0));
    let tolerated_failure_count = fields::dynamic_int(
        parser,
        obj,
        "ToleratedFailureCount",
        loc,
        language,
        0,
        i64::from(u32::MAX),
    );
    let tolerated_failure_percentage = tolerated_percentage(parser, obj, loc, language);
    let label = fields::opt_string(parser, obj, "Label", loc);
    for distributed_only in ["ItemBatcher", "ItemReader", "ResultWriter", "Label"] {
        if obj.contains_key(distributed_only) && mode == ProcessorMode::Inline {
            parser.schema(
                format!("The field '{distributed_only}' is only supported by a Map state in DISTRIBUTED mode"),
                &format!("{loc}/{distributed_only}"),
            );
        }
    }
    Some(MapState {
        items,
        item_selector,
        processor: Box::new(processor?),
        mode,
        max_concurrency,
        tolerated_failure_count,
        tolerated_failure_percentage,
        label,
        item_reader: obj.get("ItemReader").cloned(),
        item_batcher: match obj.get("ItemBatcher") {
            Some(v) => Some(item_batcher(parser, v, loc, language)?),
            None => None,
        },
        result_writer: obj.get("ResultWriter").cloned(),
    })
}

fn item_batcher(parser: &mut Parser, value: &Value, loc: &str, language: QueryLanguage) -> Option<ItemBatcher> {
    let bloc = format!("{loc}/ItemBatcher");
    let Some(obj) = value.as_object() else {
        parser.schema("The value for the field 'ItemBatcher' must be an OBJECT", &bloc);
        return None;
    };
    let allowed: &[&str] = match language {
        QueryLanguage::JsonPath => &[
            "MaxItemsPerBatch",
            "MaxItemsPerBatchPath",
            "MaxInputBytesPerBatch",
            "MaxInputBytesPerBatchPath",
            "BatchInput",
        ],
        QueryLanguage::Jsonata => &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"],
    };
    fields::reject_unknown(parser, obj, allowed, &bloc);
    let max_items = fields::dynamic_int(parser, obj, "MaxItemsPerBatch", &bloc, language, 0, 100_000_000);
    let max_bytes = fields::dynamic_int(parser, obj, "MaxInputBytesPerBatch", &bloc, language, 0, 262_144);
    let batch_input = match obj.get("BatchInput") {
        None => None,
        Some(v) => Some(match language {
            QueryLanguage::JsonPath => ItemSelector::JsonPath(fields::payload(parser, v, "BatchInput", &bloc)?),
            QueryLanguage::Jsonata => ItemSelector::Jsonata(fields::jsonata(parser, v, "BatchInput", &bloc)?),
        }),
    };
    Some(ItemBatcher {
        max_items,
        max_bytes,
        batch_input,
    })
}

fn processor_mode(parser: &mut Parser, pobj: &Map<String, Value>, ploc: &str) -> ProcessorMode {
    let Some(config) = pobj.get("ProcessorConfig") else {
        return ProcessorMode::Inline;
    };
    match config.get("Mode").and_then(Value::as_str) {
        None | Some("INLINE") => ProcessorMode::Inline,
        Some("DISTRIBUTED") => ProcessorMode::Distributed,
        Some(other) => {
            parser.schema(
                format!("The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED], not '{other}'"),
                &format!("{ploc}/ProcessorConfig/Mode"),
            );
            ProcessorMode::Inline
        }
    }
}

fn tolerated_percentage(
    parser: &mut Parser,
    obj: &Map<String, Value>,
    loc: &str,
    language: QueryLanguage,
) -> Option<Dynamic<f64>> {
    const KEY: &str = "ToleratedFailurePercentage";
    if let Some(v) = obj.get(KEY) {
        if let Some(s) = v.as_str()
            && expression_text(s).is_some()
            && language == QueryLanguage::Jsonata
        {
            return fields::jsonata(parser, v, KEY, loc).map(Dynamic::Jsonata);
        }
        return match v.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) => Some(Dynamic::Literal(p)),
            _ => {
                parser.schema(
                    format!("The value for the field '{KEY}' must be a NUMBER between 0 and 100"),
                    &format!("{loc}/{KEY}"),
                );
                None
            }
        };
    }
    let v = obj.get("ToleratedFailurePercentagePath")?;
    fields::json_path(parser, v, "ToleratedFailurePercentagePath", loc).map(Dynamic::Path)
}

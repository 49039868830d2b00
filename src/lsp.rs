//! `iotrun lsp`: every check of `iotrun check` live in the editor, over the
//! Language Server Protocol on stdin and stdout (lsp-server, as
//! rust-analyzer uses). Documents are synced whole; diagnostics follow
//! each change once the client has been quiet for a moment, quick fixes
//! make the "did you mean" edits, and completion, hover and navigation know
//! the file's devices, routines and kinds.

mod actions;
mod complete;
mod diagnostics;
mod document;
mod navigate;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, GotoDefinition, HoverRequest, References, Rename, Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, HoverProviderCapability, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    Uri,
};

use document::Document;

/// How long the client must be quiet after a change before its diagnostics
/// are computed: a burst of keystrokes is checked once.
const QUIET: Duration = Duration::from_millis(10);

/// Serves until the client says `exit` (or goes away). `Ok(true)` when it
/// asked `shutdown` first, as the protocol wants (exit 0), `Ok(false)` when
/// it did not (exit 1); `Err` with a reason when the connection fails.
pub fn serve() -> Result<bool, String> {
    let (connection, threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".to_string(), " ".to_string()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| format!("the client did not initialize: {e}"))?;
    let mut server = Server {
        connection: &connection,
        documents: HashMap::new(),
        changed: HashSet::new(),
        shut_down: false,
        published: HashSet::new(),
    };
    server.run()?;
    let orderly = server.shut_down;
    drop(connection);
    threads.join().map_err(|e| e.to_string())?;
    Ok(orderly)
}

struct Server<'c> {
    connection: &'c Connection,
    documents: HashMap<Uri, Document>,
    /// Documents changed since their diagnostics were last sent.
    changed: HashSet<Uri>,
    /// `shutdown` was asked: nothing more is answered but `exit`.
    shut_down: bool,
    /// Documents that have diagnostics of iotrun's in the editor.
    published: HashSet<Uri>,
}

impl Server<'_> {
    fn run(&mut self) -> Result<(), String> {
        loop {
            let message = if self.changed.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.recv_timeout(QUIET) {
                    Ok(message) => message,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        self.publish();
                        continue;
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            };
            match message {
                // Shut down until `exit`; a client that asks twice (Neovim
                // 0.7 may, as it quits) is answered twice.
                Message::Request(request) if request.method == "shutdown" => {
                    self.shut_down = true;
                    self.send(Message::Response(Response::new_ok(request.id, ())));
                }
                Message::Request(request) if self.shut_down => {
                    self.send(Message::Response(Response::new_err(
                        request.id,
                        ErrorCode::InvalidRequest as i32,
                        "iotrun lsp is shutting down".to_string(),
                    )));
                }
                Message::Request(request) => {
                    // A request sees the latest text, so its answer is exact.
                    self.publish();
                    let response = self.answer(request);
                    self.send(Message::Response(response));
                }
                Message::Notification(notification) if notification.method == "exit" => {
                    return Ok(());
                }
                Message::Notification(notification) => self.notified(notification),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn notified(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(
                    notification.params,
                ) {
                    let uri = params.text_document.uri;
                    self.update(uri, params.text_document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(
                    notification.params,
                ) && let Some(change) = params.content_changes.into_iter().next_back()
                {
                    // Full sync: the last change holds the whole text.
                    self.update(params.text_document.uri, change.text);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(
                    notification.params,
                ) {
                    let uri = params.text_document.uri;
                    self.changed.remove(&uri);
                    self.documents.remove(&uri);
                    if self.published.remove(&uri) {
                        self.diagnostics(&uri, Vec::new());
                    }
                }
            }
            _ => {}
        }
    }

    fn update(&mut self, uri: Uri, text: String) {
        let previous = self.documents.remove(&uri).and_then(|d| d.program);
        self.documents
            .insert(uri.clone(), Document::new(text, previous));
        self.changed.insert(uri);
    }

    /// Sends the diagnostics of every changed document.
    fn publish(&mut self) {
        for uri in std::mem::take(&mut self.changed) {
            let Some(document) = self.documents.get(&uri) else {
                continue;
            };
            if !document.served {
                // No longer a program (or never one): nothing of iotrun's
                // stays on it.
                if self.published.remove(&uri) {
                    self.diagnostics(&uri, Vec::new());
                }
                continue;
            }
            self.published.insert(uri.clone());
            let converted = document
                .diagnostics
                .iter()
                .map(|d| diagnostics::convert(document, &uri, d))
                .collect();
            self.diagnostics(&uri, converted);
        }
    }

    fn diagnostics(&self, uri: &Uri, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams::new(uri.clone(), diagnostics, None);
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )));
    }

    fn answer(&self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            Completion::METHOD => self.with::<lsp_types::CompletionParams, _>(request, |s, p| {
                let at = p.text_document_position;
                let items = s
                    .served(&at.text_document.uri)
                    .map(|d| complete::complete(d, at.position))
                    .unwrap_or_default();
                json(lsp_types::CompletionResponse::Array(items))
            }),
            CodeActionRequest::METHOD => {
                self.with::<lsp_types::CodeActionParams, _>(request, |s, p| {
                    let uri = p.text_document.uri;
                    let actions: Vec<lsp_types::CodeActionOrCommand> = s
                        .served(&uri)
                        .map(|d| actions::actions(d, &uri, p.range))
                        .unwrap_or_default()
                        .into_iter()
                        .map(lsp_types::CodeActionOrCommand::CodeAction)
                        .collect();
                    json(actions)
                })
            }
            HoverRequest::METHOD => self.with::<lsp_types::HoverParams, _>(request, |s, p| {
                let at = p.text_document_position_params;
                let hover = s
                    .served(&at.text_document.uri)
                    .and_then(|d| navigate::hover(d, at.position));
                json(hover)
            }),
            GotoDefinition::METHOD => {
                self.with::<lsp_types::GotoDefinitionParams, _>(request, |s, p| {
                    let at = p.text_document_position_params;
                    let uri = at.text_document.uri;
                    let location = s
                        .served(&uri)
                        .and_then(|d| navigate::definition_at(d, &uri, at.position));
                    json(location.map(lsp_types::GotoDefinitionResponse::Scalar))
                })
            }
            References::METHOD => self.with::<lsp_types::ReferenceParams, _>(request, |s, p| {
                let at = p.text_document_position;
                let uri = at.text_document.uri;
                let locations = s
                    .served(&uri)
                    .map(|d| navigate::references(d, &uri, at.position));
                json(locations)
            }),
            Rename::METHOD => self.with::<lsp_types::RenameParams, _>(request, |s, p| {
                let at = p.text_document_position;
                let uri = at.text_document.uri;
                match s
                    .served(&uri)
                    .map(|d| navigate::rename(d, &uri, at.position, &p.new_name))
                {
                    Some(Err(why)) => Err(why),
                    Some(Ok(edit)) => json(edit),
                    None => json(None::<lsp_types::WorkspaceEdit>),
                }
            }),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("iotrun lsp does not answer `{}`", request.method),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(why) => Response::new_err(id, ErrorCode::InvalidParams as i32, why),
        }
    }

    /// Decodes a request's parameters and answers with `f`.
    fn with<P: serde::de::DeserializeOwned, F>(
        &self,
        request: Request,
        f: F,
    ) -> Result<serde_json::Value, String>
    where
        F: FnOnce(&Self, P) -> Result<serde_json::Value, String>,
    {
        let params: P = serde_json::from_value(request.params).map_err(|e| e.to_string())?;
        f(self, params)
    }

    fn served(&self, uri: &Uri) -> Option<&Document> {
        self.documents.get(uri).filter(|d| d.served)
    }
}

/// An answer as JSON.
fn json(value: impl serde::Serialize) -> Result<serde_json::Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

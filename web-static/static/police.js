/*
 * police.js - the police page: archive record with history, verification
 * log and the reference impression (fetched with the token into a blob URL),
 * status changes with reason and case reference, paged search by holder /
 * credit code / engraver, and 1:N search by impression photo.
 */
'use strict';

(() => {
	const {el, clear, normCode, showCode, api, errorBanner, facts, statusPill, STATUS, SHAPES, clearFieldErrors, showFieldError,
		prepareImage, busy, fmtTime, tokenPanel, getToken} = SR;
	const $ = (id) => document.getElementById(id);
	/* Rows per page; ?page_size=N overrides it (the browser tests use it to see paging). */
	const PAGE = Math.min(500, Math.max(1, Number(new URLSearchParams(location.search).get('page_size')) || 20));
	let impBlobUrl = null;
	let current = null;        /* code of the open archive record */
	let searchPages = [];      /* [{after, after_holder}] of the pages shown */

	function needToken(out) {
		if (getToken())
			return false;
		clear(out).append(errorBanner({code: 'unauthorized', message: 'paste your token in the box above first'},
			'请先设置令牌 / Set your token first'));
		return true;
	}

	function table(id, heads, rows) {
		return el('div', {class: 'table-wrap'}, el('table', {id},
			el('thead', {}, el('tr', {}, heads.map((h) => el('th', {scope: 'col'}, h)))),
			el('tbody', {}, rows)));
	}

	function codeButton(s) {
		return el('button', {type: 'button', class: 'secondary small mono', 'aria-label': '调阅档案 / open archive ' + s.code, onclick: () => {
			$('arch-code').value = s.code;
			openArchive(s.code);
			$('archive').scrollIntoView({block: 'start'});
		}}, s.code_display || showCode(s.code));
	}

	async function openArchive(raw) {
		const out = $('arch-result');
		const code = normCode(raw);
		if (needToken(out))
			return;
		clear(out).append(el('p', {class: 'muted spinner'}, '调阅中 / Loading'));
		const r = await api('/v1/archive/' + encodeURIComponent(code), {auth: true});
		clear(out);
		if (!r.ok || !r.data) {
			out.append(errorBanner(r.error));
			$('status').hidden = true;
			current = null;
			if (r.error && r.error.code === 'not_registered')
				await showForgedChecks(out, code);
			return;
		}
		const a = r.data;
		const s = a.seal;
		current = s.code;
		const st = STATUS[s.status] || {cls: 'warn'};
		out.append(el('div', {class: 'banner ' + st.cls, 'data-status': s.status},
			el('strong', {}, el('span', {class: 'mono'}, s.code_display || s.code), ' · ', s.holder),
			el('p', {}, '状态 / status: ', statusPill(s.status), ' · 版本 / version ' + s.version)));
		const imgBox = el('div', {class: 'ref-impression'});
		out.append(facts([
			['持有单位', 'Holder', s.holder, 'holder'],
			['信用代码', 'Credit code', el('span', {class: 'mono'}, s.credit_code), 'credit_code'],
			['印章类型', 'Type', s.type, 'type'],
			['形状', 'Shape', SHAPES[s.shape] || s.shape, 'shape'],
			['地区', 'Region', s.region ? s.region.name + '（' + s.region.code + '）' : '', 'region'],
			['刻章单位', 'Engraver', s.engraver ? [s.engraver.company, ' ', el('span', {class: 'mono muted'}, s.engraver.prefix),
				s.engraver.licence ? ' · ' + s.engraver.licence : ''] : '', 'engraver'],
			['备案时间', 'Registered', fmtTime(s.registered_at), 'registered'],
			['更新时间', 'Updated', fmtTime(s.updated_at), 'updated'],
			['当前提示', 'Advice', s.advice, 'advice'],
		]));
		out.append(el('h3', {}, '备案印模 ', el('span', {class: 'en', lang: 'en'}, '/ Reference impression')), imgBox);
		const hist = a.history || [];
		out.append(el('h3', {}, '状态历史 ', el('span', {class: 'en', lang: 'en'}, '/ Status history (' + hist.length + ')')));
		if (hist.length)
			out.append(table('history-table', ['#', '时间 Time', '变更 Change', '操作人 Actor', '案件 Case', '原因 Reason'],
				hist.map((h) => el('tr', {},
					el('td', {}, String(h.seq)),
					el('td', {class: 'nowrap'}, fmtTime(h.time)),
					el('td', {class: 'nowrap'}, h.from === h.to && h.seq <= 1 ?
						['备案 registered ', statusPill(h.to)] : [statusPill(h.from), ' → ', statusPill(h.to)]),
					el('td', {class: 'mono small'}, h.actor),
					el('td', {}, h.case_ref || ''),
					el('td', {}, h.reason || '')))));
		else
			out.append(el('p', {class: 'muted small'}, '无状态变更 / No status changes.'));
		const qs = a.queries || [];
		out.append(el('h3', {}, '核验日志 ', el('span', {class: 'en', lang: 'en'}, '/ Verification log (' + qs.length + ', newest first)')));
		if (qs.length)
			out.append(queryTable(qs));
		else
			out.append(el('p', {class: 'muted small'}, '尚无核验记录 / Nobody has verified this seal yet.'));

		if ($('st-code').textContent !== (s.code_display || s.code)) {
			clear($('st-result'));
			clearFieldErrors($('st-form'));
		}
		$('st-code').textContent = s.code_display || s.code;
		$('status').hidden = false;

		if (a.impression_url) {
			const ir = await api(a.impression_url, {auth: true, blob: true});
			if (ir.ok) {
				if (impBlobUrl)
					URL.revokeObjectURL(impBlobUrl);
				impBlobUrl = URL.createObjectURL(ir.data);
				const img = el('img', {class: 'photo ref', id: 'ref-img', alt: '备案印模 / registered reference impression', src: impBlobUrl});
				imgBox.append(img);
			} else {
				imgBox.append(errorBanner(ir.error, '无法获取印模 / Could not fetch the impression'));
			}
		} else {
			imgBox.append(el('p', {class: 'muted small'}, '无备案印模 / No impression stored.'));
		}
	}

	function queryTable(qs) {
		return table('queries-table', ['时间 Time', '方式 Route', '结果 Result', '来源 Client'],
			qs.map((q) => el('tr', {},
				el('td', {class: 'nowrap'}, fmtTime(q.time)),
				el('td', {}, q.route),
				el('td', {}, q.result),
				el('td', {class: 'mono small'}, String(q.client || '').slice(0, 24)))));
	}

	/* An unregistered code may still have been checked: a forged seal in use. */
	async function showForgedChecks(out, code) {
		const v = await api('/v1/archive/' + encodeURIComponent(code) + '/verifications', {auth: true});
		if (!v.ok || !v.data)
			return;
		const qs = v.data.queries || [];
		out.append(el('h3', {}, '该编码的核验记录 ', el('span', {class: 'en', lang: 'en'},
			'/ Checks of this unregistered code (' + qs.length + ')')));
		if (qs.length) {
			out.append(el('p', {class: 'banner bad', 'data-forged-checks': String(qs.length)},
				'有人在核验这个未备案的编码：可能有伪造印章在使用。 / Someone checked this unregistered code: a forged seal may be in use.'));
			out.append(queryTable(qs));
		} else {
			out.append(el('p', {class: 'muted small'}, '无人核验过此编码 / Nobody has checked this code.'));
		}
	}

	async function changeStatus(form, out) {
		clearFieldErrors(form);
		clear(out);
		if (!current || needToken(out))
			return;
		const body = {status: form.status.value, reason: form.reason.value.trim()};
		const cref = form.case_ref.value.trim();
		if (cref)
			body.case_ref = cref;
		const r = await api('/v1/archive/' + encodeURIComponent(current) + '/status',
			{method: 'POST', auth: true, type: 'application/json', body: JSON.stringify(body)});
		if (!r.ok || !r.data) {
			showFieldError(form, r.error);
			out.append(errorBanner(r.error, r.error.code === 'illegal_transition' ? null : '变更失败 / Change failed'));
			return;
		}
		const s = r.data.seal;
		out.append(el('div', {class: 'banner ok', role: 'status', 'data-status': s.status},
			el('strong', {}, '状态已变更 ', el('span', {lang: 'en'}, '/ Status changed')),
			el('p', {}, el('span', {class: 'mono'}, s.code_display || s.code), ' → ', statusPill(s.status),
				' · 版本 / version ' + s.version)));
		form.reason.value = '';
		form.case_ref.value = '';
		await openArchive(current);
	}

	async function search(page) {
		const out = $('se-result');
		if (needToken(out))
			return;
		const kind = $('se-kind').value;
		let q = $('se-q').value.trim();
		if (kind !== 'holder')
			q = normCode(q).toUpperCase();
		const p = new URLSearchParams({[kind]: q, limit: String(PAGE)});
		if (page.after)
			p.set('after', page.after);
		if (page.after_holder)
			p.set('after_holder', page.after_holder);
		const r = await api('/v1/archive?' + p, {auth: true});
		clear(out);
		if (!r.ok || !r.data) {
			const form = $('se-form');
			clearFieldErrors(form);
			if (r.error.field && r.error.field === kind)
				r.error.field = 'q';
			out.append(errorBanner(r.error));
			return;
		}
		const seals = r.data.seals || [];
		if (!seals.length) {
			out.append(el('p', {class: 'muted'}, '没有找到 / Nothing found.'));
		} else {
			out.append(table('search-table', ['编码 Code', '持有单位 Holder', '信用代码 Credit code', '类型 Type', '状态 Status'],
				seals.map((s) => el('tr', {'data-code': s.code},
					el('td', {class: 'nowrap'}, codeButton(s)),
					el('td', {}, s.holder),
					el('td', {class: 'mono small'}, s.credit_code || ''),
					el('td', {}, s.type),
					el('td', {class: 'nowrap'}, statusPill(s.status))))));
		}
		const pager = el('div', {class: 'pager', 'data-page': String(searchPages.length)});
		if (searchPages.length > 1)
			pager.append(el('button', {type: 'button', class: 'secondary small', onclick: () => {
				searchPages.pop();
				search(searchPages[searchPages.length - 1]);
			}}, '← 上一页 Previous'));
		pager.append(el('span', {class: 'small muted'}, '第 ' + searchPages.length + ' 页 / page ' + searchPages.length));
		if (r.data.next_after) {
			const next = {after: r.data.next_after, after_holder: r.data.next_after_holder || ''};
			pager.append(el('button', {type: 'button', class: 'secondary small', id: 'se-next', onclick: () => {
				searchPages.push(next);
				search(next);
			}}, '下一页 Next →'));
		}
		out.append(pager);
	}

	const VERDICTS = {match: ['ok', '一致'], mismatch: ['bad', '不一致'], inconclusive: ['warn', '无法判断']};
	function verdictPill(x) {
		const v = VERDICTS[x.verdict] || ['warn', ''];
		return el('span', {class: 'pill ' + v[0], title: x.reason || ''}, v[1] + ' ', el('span', {lang: 'en'}, x.verdict),
			x.reason && x.reason !== 'ok' ? el('span', {class: 'small'}, ' · ' + x.reason) : null);
	}

	async function searchImpression(file, out) {
		clear(out);
		if (needToken(out))
			return;
		if (!file) {
			out.append(errorBanner({code: 'invalid', message: 'choose a photo first', field: 'image'}, '请先选择照片 / Choose a photo first'));
			return;
		}
		out.append(el('p', {class: 'muted spinner'}, '检索中 / Searching'));
		const up = await prepareImage(file);
		const r = await api('/v1/archive/search/impression?k=5', {method: 'POST', auth: true, body: up.body, type: up.type});
		clear(out);
		if (!r.ok || !r.data) {
			out.append(r.status === 501 ?
				el('div', {class: 'banner info', role: 'status'}, el('strong', {}, '此功能尚未开放 / Not available in this build'),
					el('p', {lang: 'en', class: 'small'}, r.error.message)) :
				errorBanner(r.error));
			return;
		}
		const c = r.data.candidates || [];
		out.append(el('p', {class: 'small muted'}, '比较了 ' + r.data.searched + ' 枚印章 / compared with ' + r.data.searched + ' seals'));
		if (!c.length) {
			out.append(el('p', {class: 'muted'}, '没有相似的印章 / No similar seal.'));
			return;
		}
		out.append(table('cand-table', ['编码 Code', '持有单位 Holder', '距离 Distance', '结论 Verdict', '分数 Score'],
			c.map((x) => el('tr', {'data-code': x.code},
				el('td', {class: 'nowrap'}, codeButton(x)),
				el('td', {}, x.holder || ''),
				el('td', {}, String(x.distance)),
				el('td', {class: 'nowrap'}, x.verdict ? verdictPill(x) : ''),
				el('td', {}, typeof x.score === 'number' ? Math.round(x.score * 100) + '%' : '')))));
	}

	function init() {
		tokenPanel(() => {
			clear($('arch-result'));
			$('status').hidden = true;
		});
		$('arch-form').addEventListener('submit', (e) => {
			e.preventDefault();
			busy($('arch-btn'), () => openArchive($('arch-code').value));
		});
		$('st-form').addEventListener('submit', (e) => {
			e.preventDefault();
			busy($('st-btn'), () => changeStatus($('st-form'), $('st-result')));
		});
		$('se-form').addEventListener('submit', (e) => {
			e.preventDefault();
			searchPages = [{after: '', after_holder: ''}];
			busy($('se-btn'), () => search(searchPages[0]));
		});
		$('is-form').addEventListener('submit', (e) => {
			e.preventDefault();
			busy($('is-btn'), () => searchImpression($('is-file').files[0], $('is-result')));
		});
	}

	init();
})();

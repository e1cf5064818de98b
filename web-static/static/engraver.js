/*
 * engraver.js - the engraver page: keep the bearer token in sessionStorage,
 * register a seal (multipart POST /v1/seals) with field errors shown next to
 * their inputs, show and print the new seal's QR (fetched with the token and
 * shown through a blob URL), and page through the engraver's own seals.
 */
'use strict';

(() => {
	const {el, clear, api, errorBanner, facts, statusPill, SHAPES, clearFieldErrors, showFieldError, prepareImage, busy, tokenPanel, getToken} = SR;
	const $ = (id) => document.getElementById(id);
	/* Rows per page; ?page_size=N overrides it (the browser tests use it to see paging). */
	const PAGE = Math.min(500, Math.max(1, Number(new URLSearchParams(location.search).get('page_size')) || 10));
	let qrBlobUrl = null;
	let pages = [''];   /* the `after` value of each page shown so far */

	function needToken(out) {
		if (getToken())
			return false;
		clear(out).append(errorBanner({code: 'unauthorized', message: 'paste your token in the box above first'},
			'请先设置令牌 / Set your token first'));
		return true;
	}

	/* Fetch the QR PNG with the token and show it in the printable card. */
	async function showQr(seal, qrPath) {
		const card = $('qr-card');
		const img = $('qr-img');
		const r = await api(qrPath || ('/v1/seals/' + encodeURIComponent(seal.code) + '/qr.png'), {auth: true, blob: true});
		if (!r.ok) {
			card.hidden = false;
			clear($('qr-holder')).append(errorBanner(r.error, '无法获取二维码 / Could not fetch the QR code'));
			return;
		}
		if (qrBlobUrl)
			URL.revokeObjectURL(qrBlobUrl);
		qrBlobUrl = URL.createObjectURL(r.data);
		img.src = qrBlobUrl;
		await img.decode().catch(() => {});
		$('qr-code').textContent = seal.code_display || seal.code;
		clear($('qr-holder')).append(seal.holder + ' · ' + seal.type);
		card.hidden = false;
		img.dataset.code = seal.code;
	}

	async function register(form, out) {
		clearFieldErrors(form);
		clear(out);
		if (needToken(out))
			return;
		const file = form.impression.files[0];
		let type = form.type.value;
		let typeField = 'type';
		if (type === '') {
			type = form.type_other.value.trim();
			typeField = 'type_other';
		}
		if (!file) {
			showFieldError(form, {code: 'invalid', field: 'impression', message: 'choose the reference impression image'});
			return;
		}
		const fd = new FormData();
		fd.append('holder', form.holder.value.trim());
		fd.append('credit_code', form.credit_code.value.trim().toUpperCase());
		fd.append('type', type);
		fd.append('shape', form.shape.value);
		const up = await prepareImage(file, true);
		fd.append('impression', up.body, up.body === file ? (file.name || 'impression.png') :
			'impression.' + (up.type === 'image/png' ? 'png' : 'jpg'));
		out.append(el('p', {class: 'muted spinner'}, '正在备案 / Registering'));
		const r = await api('/v1/seals', {method: 'POST', body: fd, auth: true});
		clear(out);
		if (!r.ok || !r.data || !r.data.seal) {
			const err = Object.assign({}, r.error);
			if (err.field === 'type')
				err.field = typeField;
			if (!showFieldError(form, err))
				out.append(errorBanner(r.error, '备案失败 / Registration failed'));
			else
				out.append(el('p', {class: 'field-summary small', role: 'alert'}, '请修改标红的字段 / Please fix the marked field.'));
			return;
		}
		const s = r.data.seal;
		out.append(el('div', {class: 'banner ok', role: 'status', 'data-code': s.code},
			el('strong', {}, '备案成功 ', el('span', {lang: 'en'}, '/ Registered')),
			el('p', {}, '编码 / code: ', el('span', {class: 'mono new-code'}, s.code_display || s.code))),
		facts([
			['持有单位', 'Holder', s.holder],
			['信用代码', 'Credit code', el('span', {class: 'mono'}, s.credit_code)],
			['类型', 'Type', s.type],
			['形状', 'Shape', SHAPES[s.shape] || s.shape],
			['状态', 'Status', statusPill(s.status)],
			['备案时间', 'Registered', s.registered_on],
			['二维码内容', 'QR payload', el('span', {class: 'mono small'}, r.data.qr_url)],
		]));
		if (r.data.warnings && r.data.warnings.length)
			out.append(el('div', {class: 'banner warn', role: 'alert'},
				el('strong', {}, '请注意 / Warnings'),
				el('p', {}, r.data.warnings.map((w) => w === 'credit_code_region_mismatch' ?
					'信用代码的登记地区与刻章单位所在地区不同 / the credit code was issued in another region' : w).join('; '))));
		form.reset();
		$('type-other-wrap').hidden = true;
		await showQr(s, r.data.qr_png);
		$('qr-card').scrollIntoView({block: 'nearest'});
		loadList(pages[pages.length - 1]);
	}

	async function loadList(after) {
		const out = $('list-result');
		if (needToken(out))
			return;
		const q = new URLSearchParams({limit: String(PAGE)});
		if (after)
			q.set('after', after);
		const r = await api('/v1/engraver/seals?' + q, {auth: true});
		clear(out);
		if (!r.ok || !r.data) {
			out.append(errorBanner(r.error));
			return;
		}
		const seals = r.data.seals || [];
		if (!seals.length && !after) {
			out.append(el('p', {class: 'muted'}, '尚无备案印章 / No seals registered yet.'));
			return;
		}
		if (!seals.length)
			out.append(el('p', {class: 'muted', id: 'list-end'}, '没有更多了 / No more seals.'));
		const body = el('tbody');
		for (const s of seals)
			body.append(el('tr', {'data-code': s.code},
				el('td', {class: 'mono nowrap'}, s.code_display || s.code),
				el('td', {}, s.holder),
				el('td', {}, s.type),
				el('td', {class: 'nowrap'}, statusPill(s.status)),
				el('td', {class: 'nowrap'}, s.registered_on),
				el('td', {}, el('button', {type: 'button', class: 'secondary small', 'aria-label': '显示二维码 / show QR of ' + s.code, onclick: () => showQr(s)}, '二维码'))));
		out.append(el('div', {class: 'table-wrap', hidden: !seals.length}, el('table', {id: 'seal-table'},
			el('caption', {class: 'visually-hidden'}, '本单位印章 / Our seals'),
			el('thead', {}, el('tr', {},
				el('th', {scope: 'col'}, '编码 Code'), el('th', {scope: 'col'}, '持有单位 Holder'),
				el('th', {scope: 'col'}, '类型 Type'), el('th', {scope: 'col'}, '状态 Status'),
				el('th', {scope: 'col'}, '备案日期 Date'), el('th', {scope: 'col'}, el('span', {class: 'visually-hidden'}, 'QR')))),
			body)));
		const pager = el('div', {class: 'pager', 'data-page': String(pages.length)});
		if (pages.length > 1)
			pager.append(el('button', {type: 'button', class: 'secondary small', id: 'prev-page', onclick: () => {
				pages.pop();
				loadList(pages[pages.length - 1]);
			}}, '← 上一页 Previous'));
		pager.append(el('span', {class: 'small muted'}, '第 ' + pages.length + ' 页 / page ' + pages.length));
		if (r.data.next_after)
			pager.append(el('button', {type: 'button', class: 'secondary small', id: 'next-page', onclick: () => {
				pages.push(r.data.next_after);
				loadList(r.data.next_after);
			}}, '下一页 Next →'));
		out.append(pager);
	}

	function init() {
		tokenPanel((t) => {
			pages = [''];
			if (t)
				loadList('');
			else
				clear($('list-result'));
		});
		const form = $('reg-form');
		form.type.addEventListener('change', () => {
			$('type-other-wrap').hidden = form.type.value !== '';
		});
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			busy($('reg-btn'), () => register(form, $('reg-result')));
		});
		$('list-btn').addEventListener('click', () => {
			pages = [''];
			loadList('');
		});
		$('qr-print-btn').addEventListener('click', () => window.print());
		if (getToken())
			loadList('');
	}

	init();
})();
